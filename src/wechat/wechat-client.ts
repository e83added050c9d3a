import { Pool } from 'undici';
import { WeChatApiError, WeChatTransportError } from './errors';

export interface WeChatClientOptions {
  apiBase: string; // e.g. https://api.weixin.qq.com, or the sandbox's loopback URL
  appId: string;
  appSecret: string;
  // Per request, default 5000: bounds connecting, waiting for the answer's headers, and each pause
  // in its body (an answer that never comes fails after it).
  timeoutMs?: number;
  maxSockets?: number; // keep-alive connections to WeChat, default 64
}

export interface Code2SessionResult {
  openid: string;
  sessionKey: string;
  unionid?: string;
}

export interface AccessTokenResult {
  accessToken: string;
  expiresIn: number; // seconds
}

export interface SubscribeMessage {
  touser: string;
  template_id: string;
  page?: string;
  data: Record<string, { value: string }>;
  miniprogram_state: 'developer' | 'trial' | 'formal';
  lang: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW';
}

/** `wxa/msg_sec_check` version 2: what is checked, and for whom (docs/wechat.md#content-security). */
export interface MsgSecCheckRequest {
  openid: string; // the author: WeChat wants one who used the mini-program within the last 2 hours
  scene: 1 | 2 | 3 | 4; // 1 profile, 2 comment, 3 forum, 4 social log
  content: string; // ≤ 2,500 characters
  title?: string;
  nickname?: string;
  signature?: string;
}

export interface MsgSecCheckResult {
  suggest: 'pass' | 'review' | 'risky';
  label: number; // 100 normal, 10001 ad, 20001 politics, 20002 porn, 20006 crime, …
  traceId: string;
}

const SEC_SUGGESTIONS: ReadonlySet<string> = new Set(['pass', 'review', 'risky']);

const JSON_BODY = { 'content-type': 'application/json' };
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The HTTP boundary to WeChat's API: keep-alive connections (an undici Pool: a send costs a
 * fraction of what a general-purpose client spends building each request), JSON parsed whatever
 * the content type, ids kept as strings, and every failure translated to WeChatApiError /
 * WeChatTransportError. It holds no token: the TokenManager passes one in.
 */
export class WeChatClient {
  private readonly pool: Pool;
  private readonly path: string; // apiBase's own path, if any, without its trailing slash

  constructor(private readonly options: WeChatClientOptions) {
    const base = new URL(options.apiBase);
    const timeout = options.timeoutMs ?? 5000;
    this.path = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: options.maxSockets ?? 64,
      connect: { timeout },
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  async code2Session(code: string): Promise<Code2SessionResult> {
    const query = new URLSearchParams({
      appid: this.options.appId,
      secret: this.options.appSecret,
      js_code: code,
      grant_type: 'authorization_code',
    });
    const body = await this.call('jscode2session', 'GET', `/sns/jscode2session?${query.toString()}`);
    const openid = stringField(body, 'openid', 'jscode2session');
    const sessionKey = stringField(body, 'session_key', 'jscode2session');
    const unionid = typeof body.unionid === 'string' ? body.unionid : undefined;
    return { openid, sessionKey, ...(unionid ? { unionid } : {}) };
  }

  async stableToken(forceRefresh = false): Promise<AccessTokenResult> {
    const body = await this.call(
      'stable_token',
      'POST',
      '/cgi-bin/stable_token',
      JSON.stringify({
        grant_type: 'client_credential',
        appid: this.options.appId,
        secret: this.options.appSecret,
        force_refresh: forceRefresh,
      }),
    );
    const accessToken = stringField(body, 'access_token', 'stable_token');
    const expiresIn = Number(body.expires_in);
    if (!Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new WeChatTransportError('stable_token answered without a valid expires_in', 'stable_token');
    }
    return { accessToken, expiresIn };
  }

  /** Sends one subscribe message; resolves WeChat's msgid (as a string) when it gives one. */
  async sendSubscribeMessage(accessToken: string, message: SubscribeMessage): Promise<{ msgid?: string }> {
    const body = await this.call(
      'subscribe/send',
      'POST',
      `/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(accessToken)}`,
      JSON.stringify(message),
    );
    const msgid = body.msgid;
    return msgid === undefined || msgid === null ? {} : { msgid: String(msgid) };
  }

  /**
   * `wxa/getwxacodeunlimit`: the mini-program code (QR) of `page` carrying `scene`. WeChat answers
   * the image bytes (`image/jpeg` or `image/png`) on success and JSON `{errcode, errmsg}` on
   * failure, both with HTTP 200: an `image/*` answer is the image, anything else is read as JSON
   * and its errcode thrown as WeChatApiError. Images are capped at 2 MiB (WeChat's are ~100 KB).
   */
  async getUnlimitedQrCode(
    accessToken: string,
    request: { scene: string; page?: string; check_path?: boolean; env_version?: string; width?: number },
  ): Promise<{ image: Buffer; contentType: string }> {
    const api = 'getwxacodeunlimit';
    const maxBytes = 2 * 1024 * 1024;
    let status: number;
    let contentType: string;
    let bytes: Buffer;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: `${this.path}/wxa/getwxacodeunlimit?access_token=${encodeURIComponent(accessToken)}`,
        headers: JSON_BODY,
        body: JSON.stringify(request),
      });
      status = response.statusCode;
      const header = response.headers['content-type'];
      contentType = (Array.isArray(header) ? header[0] : header) ?? '';
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          response.body.destroy();
          throw new WeChatTransportError(`WeChat ${api} answered more than ${maxBytes} bytes`, api);
        }
        chunks.push(chunk as Buffer);
      }
      bytes = Buffer.concat(chunks);
    } catch (err) {
      if (err instanceof WeChatTransportError) throw err;
      const code = (err as { code?: string }).code ?? 'network error';
      const timeout = TIMEOUTS.has(code);
      // Keep only the code: the request's path holds the access_token.
      throw new WeChatTransportError(
        timeout ? `WeChat ${api} timed out` : `WeChat ${api} unreachable (${code})`,
        api,
        undefined,
        { timeout, cause: new Error(code) },
      );
    }
    if (status >= 300) throw new WeChatTransportError(`WeChat ${api} answered HTTP ${status}`, api, status);
    if (/^image\//i.test(contentType.trim()) && bytes.length > 0) return { image: bytes, contentType };
    const body = parseWeChatJson(bytes.toString('utf8'));
    const errcode = Number(body?.errcode ?? 0);
    if (!body || errcode === 0) {
      throw new WeChatTransportError(`WeChat ${api} answered neither an image nor an error`, api);
    }
    throw new WeChatApiError(errcode, String(body.errmsg ?? ''), api);
  }

  /**
   * `wxa/msg_sec_check` version 2: WeChat's verdict on a text. An answer without a known
   * `result.suggest` is a WeChatTransportError (never read as a pass).
   */
  async msgSecCheck(accessToken: string, request: MsgSecCheckRequest): Promise<MsgSecCheckResult> {
    const api = 'msg_sec_check';
    const body = await this.call(
      api,
      'POST',
      `/wxa/msg_sec_check?access_token=${encodeURIComponent(accessToken)}`,
      JSON.stringify({ version: 2, ...request }),
    );
    const result = body.result as { suggest?: unknown; label?: unknown } | undefined;
    const suggest = typeof result?.suggest === 'string' ? result.suggest : '';
    if (!SEC_SUGGESTIONS.has(suggest)) {
      throw new WeChatTransportError(`WeChat ${api} answered without a result.suggest`, api);
    }
    return {
      suggest: suggest as MsgSecCheckResult['suggest'],
      label: Number(result?.label ?? 0),
      traceId: typeof body.trace_id === 'string' ? body.trace_id : '',
    };
  }

  private async call(
    api: string,
    method: 'GET' | 'POST',
    path: string,
    json?: string,
  ): Promise<Record<string, unknown>> {
    let status: number;
    let text: string;
    try {
      const response = await this.pool.request(
        json === undefined
          ? { method, path: this.path + path }
          : { method, path: this.path + path, headers: JSON_BODY, body: json },
      );
      status = response.statusCode;
      text = await response.body.text();
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'network error';
      const timeout = TIMEOUTS.has(code);
      // Keep only the code: the request's path holds the secret or the access_token.
      throw new WeChatTransportError(
        timeout ? `WeChat ${api} timed out` : `WeChat ${api} unreachable (${code})`,
        api,
        undefined,
        { timeout, cause: new Error(code) },
      );
    }
    if (status >= 300) {
      throw new WeChatTransportError(`WeChat ${api} answered HTTP ${status}`, api, status);
    }
    const body = parseWeChatJson(text);
    if (!body) throw new WeChatTransportError(`WeChat ${api} answered something that is not JSON`, api);
    const errcode = Number(body.errcode ?? 0);
    if (errcode !== 0) throw new WeChatApiError(errcode, String(body.errmsg ?? ''), api);
    return body;
  }
}

/**
 * JSON.parse that keeps WeChat's long integer ids (msgid, MsgID) as their exact digits: a
 * msgid such as 1864323726461255680 would lose its last digits as a JS number.
 */
export function parseWeChatJson(text: string): Record<string, unknown> | undefined {
  try {
    const quoted = text.replace(/("(?:msgid|MsgID|MsgId|msg_id)"\s*:\s*)(-?\d+)/g, '$1"$2"');
    const value: unknown = JSON.parse(quoted);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringField(body: Record<string, unknown>, key: string, api: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') {
    throw new WeChatTransportError(`WeChat ${api} answered without ${key}`, api);
  }
  return value;
}
