import { randomBytes } from 'node:crypto';

// errmsg texts as WeChat words them (shortened where WeChat appends a help link).
const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40029: 'invalid code',
  40037: 'invalid template_id',
  40066: 'invalid url',
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40129: 'invalid scene',
  40163: 'code been used',
  40169: 'invalid length for scene, or the data is not json string',
  40226: 'high risk user',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41030: 'invalid page',
  42001: 'access_token expired',
  43001: 'require GET method',
  43002: 'require POST method',
  43101: 'user refuse to accept the msg',
  44002: 'empty post data',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit mustslower retry next minute',
  45168: 'sensitive word',
  47001: 'data format error',
  47003: 'argument invalid!',
  48001: 'api unauthorized',
};

/**
 * A request id shaped like WeChat's `641d1c95-65e18414-2d408ff4`: the first group is the unix
 * time in hex, the rest random.
 */
export function rid(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return `${seconds}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
}

/** WeChat's error answer; `detail` is appended to the standard text as WeChat does (`data.thing1.value invalid`). */
export function errorBody(errcode: number, nowMs: number, detail?: string): string {
  const text = ERRMSG[errcode] ?? 'sandbox fault';
  const errmsg = `${text}${detail ? ` ${detail}` : ''} rid: ${rid(nowMs)}`;
  return JSON.stringify({ errcode, errmsg });
}
