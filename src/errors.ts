/**
 * The one error catalogue. Every error a client can see is an AppError with an HTTP status and a
 * stable errcode (status × 100 + n, SPEC §4); the error middleware turns it into the envelope.
 * Foreign errors (WeChat, Redis) are translated into these at the client boundary.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: number,
    message: string,
    readonly details?: ErrorDetail[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(details: ErrorDetail[], message = 'invalid request: ' + details.map((d) => d.path).join(', ')) {
    super(400, 40001, message, details);
  }
}

export class MalformedBodyError extends AppError {
  constructor(message = 'the body is not valid JSON', options?: { cause?: unknown }) {
    super(400, 40002, message, undefined, options);
  }
}

/**
 * An authentic push (msg_signature holds) in a mode this deployment is not set up for: 400, not
 * 401 (it is authenticated) nor 503 (the server is fine, and WeChat's retries cannot help): the
 * console and the server's configuration disagree, and only the operator can make them agree.
 */
export class PushModeNotConfiguredError extends AppError {
  constructor() {
    super(
      400,
      40010,
      'encrypted push (encrypt_type=aes) refused: this server has no WX_AES_KEY; set it, or switch the console to plain mode',
    );
  }
}

/** Node's HTTP parser refused the request (a broken request line or header): no route saw it. */
export class MalformedRequestError extends AppError {
  constructor() {
    super(400, 40004, 'the HTTP request is malformed');
  }
}

export class BadLoginCodeError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, 40003, message, [{ path: 'code', message }], options);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid session: log in again', errcode = 40101) {
    super(401, errcode, message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'not allowed', errcode = 40301, options?: { cause?: unknown }) {
    super(403, errcode, message, undefined, options);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'not found', errcode = 40401) {
    super(404, errcode, message);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(readonly allowed: string[] = []) {
    super(
      405,
      40501,
      allowed.length ? `method not allowed; use ${allowed.join(', ')}` : 'method not allowed',
    );
  }
}

export class ConflictError extends AppError {
  constructor(message: string, errcode = 40901) {
    super(409, errcode, message);
  }
}

/** The headers or the body did not arrive within the server's request timeouts (slow clients). */
export class RequestTimeoutError extends AppError {
  constructor() {
    super(408, 40801, 'the request took too long to arrive: send it again');
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limit: string) {
    super(413, 41301, `the body is larger than ${limit}`);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(expected = 'application/json') {
    super(415, 41501, `the body must be ${expected}`);
  }
}

/** A Content-Encoding or charset the server does not decode (SPEC §4: identity, gzip, deflate, br). */
export class UnsupportedEncodingError extends AppError {
  constructor(message = 'unsupported body encoding') {
    super(415, 41502, message);
  }
}

/** An Idempotency-Key sent again with another body or on another route (SPEC §4). */
export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    const message = 'this Idempotency-Key was used for a different request: send a new key for a new request';
    super(422, 42201, message, [{ path: 'Idempotency-Key', message }]);
  }
}

export class HeadersTooLargeError extends AppError {
  constructor() {
    super(431, 43101, 'the request headers are too large');
  }
}

export class RateLimitedError extends AppError {
  constructor(message = 'too many requests, try again later', options?: { cause?: unknown }) {
    super(429, 42901, message, undefined, options);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message: string, errcode = 50301, options?: { cause?: unknown }) {
    super(503, errcode, message, undefined, options);
  }
}

export const RedisUnavailableError = class extends ServiceUnavailableError {
  constructor(options?: { cause?: unknown }) {
    super('storage is unavailable, try again shortly', 50301, options);
  }
};

/** Redis restarted and is still reading its AOF/RDB (its `LOADING` reply). */
export class RedisLoadingError extends ServiceUnavailableError {
  constructor(options?: { cause?: unknown }) {
    super('Redis is loading its data, try again shortly', 50304, options);
  }
}

/** Redis reached `maxmemory` under `noeviction` and refuses writes (its `OOM` reply). */
export class RedisOutOfMemoryError extends ServiceUnavailableError {
  constructor(options?: { cause?: unknown }) {
    super('Redis is out of memory, try again later', 50305, options);
  }
}

export class NotConfiguredError extends ServiceUnavailableError {
  constructor(what: string) {
    super(`${what} is not configured on this server`, 50303);
  }
}
