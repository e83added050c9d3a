/**
 * The only way to build an error a client sees: one named factory per way of failing, each bound
 * to its CATALOGUE entry, so a throw site reads `throw reminderNotFound()` and never spells a
 * status or an errcode. Messages are for people (4xx: what to fix; 5xx: no internals).
 */
import { CATALOGUE, type ErrorDetail, type ErrorName, type ErrorOptions } from './catalogue';

type ErrorOf<N extends ErrorName> = InstanceType<(typeof CATALOGUE)[N]['type']>;
type Made = string | ({ message: string } & ErrorOptions);

/** A factory, tagged with its entry so the docs and the drift test can list what throws what. */
export type ErrorFactory<N extends ErrorName, A extends unknown[]> = ((...args: A) => ErrorOf<N>) & {
  readonly errorName: N;
};

function factory<N extends ErrorName, A extends unknown[]>(
  name: N,
  make: (...args: A) => Made,
): ErrorFactory<N, A> {
  const create = (...args: A): ErrorOf<N> => {
    const made = make(...args);
    const { message, ...options } = typeof made === 'string' ? { message: made } : made;
    const { type, errcode, status } = CATALOGUE[name];
    return new type({ name, errcode, status }, message, options) as ErrorOf<N>;
  };
  return Object.assign(create, { errorName: name });
}

type Cause = { cause?: unknown };

// 400
export const invalidRequest = factory('INVALID_REQUEST', (details: ErrorDetail[]) => ({
  message: 'invalid request: ' + details.map((d) => d.path).join(', '),
  details,
}));
export const bodyNotJson = factory('MALFORMED_BODY', () => 'the body is not valid JSON');
export const bodyNotObject = factory('MALFORMED_BODY', () => 'the body must be a JSON object');
export const bodyNotUtf8 = factory('MALFORMED_BODY', () => 'the body is not valid UTF-8');
export const bodyUndecodable = factory(
  'MALFORMED_BODY',
  (coding: string) => `the body does not decode as ${coding}`,
);
export const bodyAborted = factory('MALFORMED_BODY', () => 'the request was aborted before its body ended');
export const pushUndecryptable = factory('MALFORMED_BODY', () => 'the push could not be decrypted');
export const pushUnreadable = factory(
  'MALFORMED_BODY',
  (why: string) => `the push could not be read: ${why}`,
);
export const pushWithoutEncrypt = factory(
  'MALFORMED_BODY',
  () => 'encrypt_type=aes but the body has no Encrypt',
);
export const loginCodeInvalid = factory('BAD_LOGIN_CODE', (options: Cause = {}) =>
  loginCode('the login code is invalid', options),
);
export const loginCodeUsed = factory('BAD_LOGIN_CODE', (options: Cause = {}) =>
  loginCode('the login code was already used: call wx.login again', options),
);
export const malformedRequest = factory('MALFORMED_REQUEST', () => 'the HTTP request is malformed');
export const pushModeNotConfigured = factory(
  'PUSH_MODE_NOT_CONFIGURED',
  () =>
    'encrypted push (encrypt_type=aes) refused: this server has no WX_AES_KEY; set it, or switch the console to plain mode',
);

function loginCode(message: string, options: Cause): Made {
  return { message, details: [{ path: 'code', message }], ...options };
}

// 401
export const sessionRequired = factory(
  'SESSION_REQUIRED',
  () => 'missing Authorization: Bearer <token>; log in first',
);
export const authorizationMalformed = factory(
  'SESSION_REQUIRED',
  () => 'malformed Authorization header; expected Bearer <token>',
);
export const sessionExpired = factory('SESSION_EXPIRED', () => 'session expired or unknown: log in again');
export const adminTokenInvalid = factory('ADMIN_TOKEN_INVALID', () => 'invalid admin token');
export const pushSignatureInvalid = factory('PUSH_SIGNATURE_INVALID', () => 'invalid push signature');
export const pushMsgSignatureInvalid = factory('PUSH_SIGNATURE_INVALID', () => 'invalid push msg_signature');
export const pushTimestampStale = factory('PUSH_TIMESTAMP_STALE', () => 'push timestamp outside ±5 minutes');
export const pushNonceReplayed = factory('PUSH_NONCE_REPLAYED', () => 'push nonce already used');
export const pushPlainRefused = factory(
  'PUSH_PLAIN_REFUSED',
  () => 'unencrypted push refused: WX_AES_KEY is set',
);

// 403
export const loginBlocked = factory('LOGIN_BLOCKED', (options: Cause = {}) => ({
  message: 'WeChat refused this user (high-risk account)',
  ...options,
}));
export const pushWrongApp = factory('PUSH_WRONG_APP', () => 'the push is addressed to another app');

// 404, 405, 408
export const routeNotFound = factory(
  'ROUTE_NOT_FOUND',
  (method: string, path: string) => `no route for ${method} ${path}`,
);
export const reminderNotFound = factory('REMINDER_NOT_FOUND', () => 'reminder not found');
export const methodNotAllowed = factory('METHOD_NOT_ALLOWED', (allowed: string[]) =>
  allowed.length ? `method not allowed; use ${allowed.join(', ')}` : 'method not allowed',
);
export const requestTimeout = factory(
  'REQUEST_TIMEOUT',
  () => 'the request took too long to arrive: send it again',
);

// 409
export const pendingLimitReached = factory(
  'PENDING_LIMIT_REACHED',
  (limit: number) => `at most ${limit} pending reminders per user: delete some first`,
);
export const reminderCancelled = factory('REMINDER_CANCELLED', () => 'the reminder is cancelled');

// 413, 415
export const bodyTooLarge = factory(
  'BODY_TOO_LARGE',
  (limitBytes: number) => `the body is larger than ${Math.round(limitBytes / 1024)} KiB`,
);
export const unsupportedMediaType = factory(
  'UNSUPPORTED_MEDIA_TYPE',
  (expected = 'application/json') => `the body must be ${expected}`,
);
export const severalEncodings = factory(
  'UNSUPPORTED_ENCODING',
  () => 'the body may have one Content-Encoding (gzip, deflate or br), not several',
);
export const unknownEncoding = factory(
  'UNSUPPORTED_ENCODING',
  () => 'Content-Encoding must be identity, gzip, deflate or br',
);
export const charsetNotUtf8 = factory('UNSUPPORTED_ENCODING', () => 'the body must be UTF-8 (charset=utf-8)');

// 422, 429, 431
export const idempotencyKeyReused = factory('IDEMPOTENCY_KEY_REUSED', () => {
  const message = 'this Idempotency-Key was used for a different request: send a new key for a new request';
  return { message, details: [{ path: 'Idempotency-Key', message }] };
});
export const loginRateLimited = factory('RATE_LIMITED', (options: Cause = {}) => ({
  message: 'too many logins for this user, try again in a minute',
  ...options,
}));
export const headersTooLarge = factory('HEADERS_TOO_LARGE', () => 'the request headers are too large');

// 500
export const internalError = factory(
  'INTERNAL',
  (requestId: string) => `internal error (request ${requestId})`,
);

// 503: what a request meets...
export const redisUnavailable = factory('REDIS_UNAVAILABLE', (options: Cause = {}) => ({
  message: 'storage is unavailable, try again shortly',
  ...options,
}));
export const redisLoading = factory('REDIS_LOADING', (options: Cause = {}) => ({
  message: 'Redis is loading its data, try again shortly',
  ...options,
}));
export const redisOutOfMemory = factory('REDIS_OUT_OF_MEMORY', (options: Cause = {}) => ({
  message: 'Redis is out of memory, try again later',
  ...options,
}));
export const redisReadOnly = factory('REDIS_READ_ONLY', (options: Cause = {}) => ({
  message: 'storage refuses writes right now, try again later',
  ...options,
}));
export const wechatUnavailable = factory('WECHAT_UNAVAILABLE', (options: Cause = {}) => ({
  message: 'WeChat is unavailable, try again shortly',
  ...options,
}));
export const pushNotConfigured = factory(
  'NOT_CONFIGURED',
  () => 'message push (WX_TOKEN) is not configured on this server',
);
export const adminApiNotConfigured = factory(
  'NOT_CONFIGURED',
  () => 'the admin API (ADMIN_TOKEN) is not configured on this server',
);

// ...and what /api/health answers in the same states: the same errcodes, in an operator's words.
export const healthRedisDown = factory('REDIS_UNAVAILABLE', () => 'redis is unreachable');
export const healthRedisStalled = factory(
  'REDIS_UNAVAILABLE',
  () => 'redis does not answer in time (stalled)',
);
export const healthRedisLoading = factory('REDIS_LOADING', () => 'redis is loading its data (LOADING)');
export const healthRedisReadOnly = factory(
  'REDIS_READ_ONLY',
  () => 'redis refuses writes (READONLY replica or MISCONF persistence failure)',
);
export const healthRedisOutOfMemory = factory(
  'REDIS_OUT_OF_MEMORY',
  () => 'redis is out of memory and refuses writes (OOM)',
);
