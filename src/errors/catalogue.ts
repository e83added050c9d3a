/**
 * Every error a client can see: its class (what callers branch on), its HTTP status and its
 * stable errcode (status × 100 + n), and what it means. docs/errors.md is generated from CATALOGUE
 * (`npm run docs:errors`), and test/docs/errors.test.ts fails when the two drift apart or an entry
 * is thrown nowhere. Errors are built only by the factories in ./factories.ts, so an errcode that
 * is not in this table cannot reach a client.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

/** What a factory hands its error beyond the message. */
export interface ErrorOptions {
  details?: ErrorDetail[];
  cause?: unknown;
}

/** The catalogue entry an error is built from. */
export interface ErrorSpec {
  name: string; // the entry's key in CATALOGUE, e.g. REMINDER_NOT_FOUND
  errcode: number;
  status: number;
}

export class AppError extends Error {
  readonly status: number;
  readonly errcode: number;
  readonly details?: ErrorDetail[];

  constructor(spec: ErrorSpec, message: string, options: ErrorOptions = {}) {
    // An own `cause` only when there is one: it shows up in logs and in `'cause' in err`.
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.status = spec.status;
    this.errcode = spec.errcode;
    if (options.details) this.details = options.details;
  }
}

export class ValidationError extends AppError {}
export class MalformedBodyError extends AppError {}
export class BadLoginCodeError extends AppError {}
/** Node's HTTP parser refused the request (a broken request line or header): no route saw it. */
export class MalformedRequestError extends AppError {}
/**
 * An authentic push (msg_signature holds) in a mode this deployment is not set up for: 400, not
 * 401 (it is authenticated) nor 503 (the server is fine, and WeChat's retries cannot help): the
 * console and the server's configuration disagree, and only the operator can make them agree.
 */
export class PushModeNotConfiguredError extends AppError {}
export class UnauthorizedError extends AppError {}
export class ForbiddenError extends AppError {}
export class NotFoundError extends AppError {}
export class MethodNotAllowedError extends AppError {}
/** The headers or the body did not arrive within the server's request timeouts (slow clients). */
export class RequestTimeoutError extends AppError {}
export class ConflictError extends AppError {}
export class PayloadTooLargeError extends AppError {}
export class UnsupportedMediaTypeError extends AppError {}
/** A Content-Encoding or charset the server does not decode (identity, gzip, deflate, br only). */
export class UnsupportedEncodingError extends AppError {}
/** An Idempotency-Key sent again with another body or on another route. */
export class IdempotencyKeyReusedError extends AppError {}
export class RateLimitedError extends AppError {}
export class HeadersTooLargeError extends AppError {}
/** Anything not in this catalogue, answered without its internals (they go to the log). */
export class InternalError extends AppError {}
export class ServiceUnavailableError extends AppError {}
/** Redis is unreachable or stalled (no answer within REDIS_COMMAND_TIMEOUT_MS). */
export class RedisUnavailableError extends ServiceUnavailableError {}
/** Redis restarted and is still reading its AOF/RDB (its `LOADING` reply). */
export class RedisLoadingError extends ServiceUnavailableError {}
/** Redis reached `maxmemory` under `noeviction` and refuses writes (its `OOM` reply). */
export class RedisOutOfMemoryError extends ServiceUnavailableError {}
/** Redis refuses writes: a read-only replica (`READONLY`) or failed persistence (`MISCONF`). */
export class RedisReadOnlyError extends ServiceUnavailableError {}
export class NotConfiguredError extends ServiceUnavailableError {}

export interface CatalogueEntry {
  errcode: number;
  status: number;
  type: new (spec: ErrorSpec, message: string, options?: ErrorOptions) => AppError;
  meaning: string; // for docs/errors.md: what happened and what the client does about it
}

export const CATALOGUE = {
  INVALID_REQUEST: {
    errcode: 40001,
    status: 400,
    type: ValidationError,
    meaning: 'invalid input; `details` names every invalid field (path + message), not only the first',
  },
  MALFORMED_BODY: {
    errcode: 40002,
    status: 400,
    type: MalformedBodyError,
    meaning:
      'the body cannot be read: not JSON, not a JSON object, not UTF-8, not in its Content-Encoding, or cut off; a push that cannot be read or decrypted',
  },
  BAD_LOGIN_CODE: {
    errcode: 40003,
    status: 400,
    type: BadLoginCodeError,
    meaning: 'the `wx.login` code is invalid or already used (WeChat 40029, 40163): call `wx.login` again',
  },
  MALFORMED_REQUEST: {
    errcode: 40004,
    status: 400,
    type: MalformedRequestError,
    meaning:
      "Node's HTTP parser refused the request line or a header; answered before any route, then closed",
  },
  PUSH_MODE_NOT_CONFIGURED: {
    errcode: 40010,
    status: 400,
    type: PushModeNotConfiguredError,
    meaning:
      'an authentic encrypted push (`encrypt_type=aes`) while no `WX_AES_KEY` is set: set it, or switch the console to plain mode',
  },
  SESSION_REQUIRED: {
    errcode: 40101,
    status: 401,
    type: UnauthorizedError,
    meaning: 'missing or malformed `Authorization: Bearer <token>`: log in first',
  },
  SESSION_EXPIRED: {
    errcode: 40102,
    status: 401,
    type: UnauthorizedError,
    meaning: 'session expired or unknown: log in again',
  },
  ADMIN_TOKEN_INVALID: {
    errcode: 40103,
    status: 401,
    type: UnauthorizedError,
    meaning: 'the admin bearer token is not `ADMIN_TOKEN`',
  },
  PUSH_SIGNATURE_INVALID: {
    errcode: 40110,
    status: 401,
    type: UnauthorizedError,
    meaning: 'invalid push `signature` or `msg_signature`',
  },
  PUSH_TIMESTAMP_STALE: {
    errcode: 40111,
    status: 401,
    type: UnauthorizedError,
    meaning: "push timestamp more than 5 minutes from the server's clock",
  },
  PUSH_NONCE_REPLAYED: {
    errcode: 40112,
    status: 401,
    type: UnauthorizedError,
    meaning: 'push nonce already used (a replay)',
  },
  PUSH_PLAIN_REFUSED: {
    errcode: 40113,
    status: 401,
    type: UnauthorizedError,
    meaning: 'unencrypted push refused while `WX_AES_KEY` is set (no signature covers a plain body)',
  },
  LOGIN_BLOCKED: {
    errcode: 40302,
    status: 403,
    type: ForbiddenError,
    meaning: 'WeChat refused this user at login (high-risk account, WeChat 40226)',
  },
  PUSH_WRONG_APP: {
    errcode: 40310,
    status: 403,
    type: ForbiddenError,
    meaning: 'the decrypted push names another appid',
  },
  ROUTE_NOT_FOUND: {
    errcode: 40401,
    status: 404,
    type: NotFoundError,
    meaning: 'no route for this method and path',
  },
  REMINDER_NOT_FOUND: {
    errcode: 40402,
    status: 404,
    type: NotFoundError,
    meaning: "reminder not found (another user's reminder answers the same)",
  },
  METHOD_NOT_ALLOWED: {
    errcode: 40501,
    status: 405,
    type: MethodNotAllowedError,
    meaning: 'method not allowed at this path; errmsg and the `Allow` header list the right ones',
  },
  REQUEST_TIMEOUT: {
    errcode: 40801,
    status: 408,
    type: RequestTimeoutError,
    meaning: "the headers or the body did not arrive within the server's request timeouts; closed",
  },
  PENDING_LIMIT_REACHED: {
    errcode: 40902,
    status: 409,
    type: ConflictError,
    meaning: 'at most 500 pending reminders per user: delete some first',
  },
  REMINDER_CANCELLED: {
    errcode: 40903,
    status: 409,
    type: ConflictError,
    meaning: 'the reminder is cancelled and can no longer be edited',
  },
  BODY_TOO_LARGE: {
    errcode: 41301,
    status: 413,
    type: PayloadTooLargeError,
    meaning: 'the body is larger than 64 KiB, as sent or once decoded; the connection is closed',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    errcode: 41501,
    status: 415,
    type: UnsupportedMediaTypeError,
    meaning: 'the body must be `application/json` (the push URL: XML or JSON)',
  },
  UNSUPPORTED_ENCODING: {
    errcode: 41502,
    status: 415,
    type: UnsupportedEncodingError,
    meaning:
      'a `Content-Encoding` other than one of identity, gzip, deflate, br; or a charset other than UTF-8',
  },
  IDEMPOTENCY_KEY_REUSED: {
    errcode: 42201,
    status: 422,
    type: IdempotencyKeyReusedError,
    meaning: 'an `Idempotency-Key` sent again with another body or on another route: use a new key',
  },
  RATE_LIMITED: {
    errcode: 42901,
    status: 429,
    type: RateLimitedError,
    meaning: 'too many requests: logins of one user too often (WeChat 45011)',
  },
  HEADERS_TOO_LARGE: {
    errcode: 43101,
    status: 431,
    type: HeadersTooLargeError,
    meaning: 'the request headers are too large; closed',
  },
  INTERNAL: {
    errcode: 50000,
    status: 500,
    type: InternalError,
    meaning: 'internal error: errmsg holds the request id (also in the logs), nothing else is revealed',
  },
  REDIS_UNAVAILABLE: {
    errcode: 50301,
    status: 503,
    type: RedisUnavailableError,
    meaning: 'Redis is unreachable, or gave no answer within `REDIS_COMMAND_TIMEOUT_MS`: try again shortly',
  },
  WECHAT_UNAVAILABLE: {
    errcode: 50302,
    status: 503,
    type: ServiceUnavailableError,
    meaning: 'WeChat is unavailable (login): try again shortly',
  },
  NOT_CONFIGURED: {
    errcode: 50303,
    status: 503,
    type: NotConfiguredError,
    meaning: 'a feature is not configured: `WX_TOKEN` for the push URL, `ADMIN_TOKEN` for the admin API',
  },
  REDIS_LOADING: {
    errcode: 50304,
    status: 503,
    type: RedisLoadingError,
    meaning: 'Redis restarted and is loading its data (`LOADING`): try again shortly',
  },
  REDIS_OUT_OF_MEMORY: {
    errcode: 50305,
    status: 503,
    type: RedisOutOfMemoryError,
    meaning: 'Redis is out of memory (`maxmemory` under `noeviction`, `OOM`): writes are refused',
  },
  REDIS_READ_ONLY: {
    errcode: 50306,
    status: 503,
    type: RedisReadOnlyError,
    meaning:
      'Redis refuses writes: `REDIS_URL` points at a read-only replica (`READONLY`, e.g. after a failover) or the server cannot persist (`MISCONF`, e.g. a full disk)',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorName = keyof typeof CATALOGUE;
