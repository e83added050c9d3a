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
/** A write was applied but fewer replicas than `REDIS_WAIT_REPLICAS` confirmed it in time (WAIT). */
export class WriteNotReplicatedError extends ServiceUnavailableError {}
export class NotConfiguredError extends ServiceUnavailableError {}
/** What the request names existed but is no longer usable (an expired promise invite). */
export class GoneError extends AppError {}
/** WeChat's content check (`wxa/msg_sec_check`) judged user text `risky`: refused, nothing stored. */
export class ContentRiskyError extends AppError {}
/** A sign-in the check-in's own rules refuse: outside its window, or outside its geofence. */
export class CheckinRuleError extends AppError {}

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
  WRITE_NOT_REPLICATED: {
    errcode: 50307,
    status: 503,
    type: WriteNotReplicatedError,
    meaning:
      'the write was made on the Redis master but fewer replicas than `REDIS_WAIT_REPLICAS` confirmed it within `REDIS_WAIT_TIMEOUT_MS` (`WAIT`): it may or may not survive a failover; retrying with the same `Idempotency-Key` is safe where the route takes one',
  },
  PROMISE_INVITE_OWN: {
    errcode: 40030,
    status: 400,
    type: ValidationError,
    meaning: "the invite is the caller's own promise: share it with the other person instead",
  },
  PROMISE_KEEP_FORBIDDEN: {
    errcode: 40330,
    status: 403,
    type: ForbiddenError,
    meaning:
      "only the person reminded keeps a promise's days: the author of a `give`, the counterpart of an `ask`",
  },
  PROMISE_NOT_FOUND: {
    errcode: 40430,
    status: 404,
    type: NotFoundError,
    meaning: 'promise not found (a promise the caller is not a party to answers the same)',
  },
  PROMISE_INVITE_NOT_FOUND: {
    errcode: 40431,
    status: 404,
    type: NotFoundError,
    meaning: 'no promise invite has this code (or its promise has ended)',
  },
  PROMISE_INVITE_TAKEN: {
    errcode: 40930,
    status: 409,
    type: ConflictError,
    meaning: 'someone else has accepted this invite already: an invite binds one counterpart',
  },
  PROMISE_ENDED: {
    errcode: 40931,
    status: 409,
    type: ConflictError,
    meaning: 'the promise has ended: nothing can be kept any more',
  },
  PROMISE_DAY_CLOSED: {
    errcode: 40932,
    status: 409,
    type: ConflictError,
    meaning:
      "that day has ended (or was recorded missed): a day is kept by the end of it, in the promise's zone",
  },
  PROMISE_INVITE_EXPIRED: {
    errcode: 41030,
    status: 410,
    type: GoneError,
    meaning: 'the invite is older than 7 days: ask the author to share the promise again',
  },
  REMINDER_NOT_PENDING: {
    errcode: 40904,
    status: 409,
    type: ConflictError,
    meaning: 'only a pending reminder can be marked done: this one was sent, cancelled or done already',
  },
  REMINDER_NOT_SNOOZABLE: {
    errcode: 40905,
    status: 409,
    type: ConflictError,
    meaning: 'a cancelled or done reminder cannot be snoozed',
  },
  REMINDER_CHANGED: {
    errcode: 40906,
    status: 409,
    type: ConflictError,
    meaning: 'the reminder fired or was edited while the request was handled: read it and try again',
  },
  GROUP_MANAGERS_ONLY: {
    errcode: 40340,
    status: 403,
    type: ForbiddenError,
    meaning:
      "only the group's owner and managers may do this (edit it, list or change members, its invite code and QR code)",
  },
  GROUP_OWNER_ONLY: {
    errcode: 40341,
    status: 403,
    type: ForbiddenError,
    meaning: "only the group's owner may do this: delete the group, change roles, remove a manager",
  },
  GROUP_NOT_FOUND: {
    errcode: 40440,
    status: 404,
    type: NotFoundError,
    meaning: 'group not found (a group the caller is not a member of answers the same)',
  },
  GROUP_INVITE_NOT_FOUND: {
    errcode: 40441,
    status: 404,
    type: NotFoundError,
    meaning:
      'no group has this invite code (a rotated code stops working at once): ask a manager for the current one',
  },
  GROUP_MEMBER_NOT_FOUND: {
    errcode: 40442,
    status: 404,
    type: NotFoundError,
    meaning: 'no member of this group has this memberId',
  },
  GROUP_OWNED_LIMIT: {
    errcode: 40940,
    status: 409,
    type: ConflictError,
    meaning: 'at most 100 groups owned per user: delete one, or give its ownership to another member',
  },
  GROUP_MEMBERSHIP_LIMIT: {
    errcode: 40941,
    status: 409,
    type: ConflictError,
    meaning: 'at most 500 groups per user: leave one first',
  },
  GROUP_FULL: {
    errcode: 40942,
    status: 409,
    type: ConflictError,
    meaning: 'the group has 10,000 members, its limit',
  },
  GROUP_OWNER_MUST_TRANSFER: {
    errcode: 40943,
    status: 409,
    type: ConflictError,
    meaning:
      'the owner cannot leave, be removed or be demoted: give the role `owner` to another member first',
  },
  GROUP_MEMBER_CHANGED: {
    errcode: 40944,
    status: 409,
    type: ConflictError,
    meaning: 'the member changed (or left) while the request was handled: read it and try again',
  },
  GROUP_QRCODE_UNAVAILABLE: {
    errcode: 50340,
    status: 503,
    type: ServiceUnavailableError,
    meaning:
      "WeChat did not make the group's QR code (`wxa/getwxacodeunlimit` answered an error, named in errmsg, or was unreachable): try again later",
  },
  NOTICE_AUDIENCE_FORBIDDEN: {
    errcode: 40350,
    status: 403,
    type: ForbiddenError,
    meaning:
      'a notice may address only groups the caller manages (owner or manager of each): errmsg names the others',
  },
  NOTICE_MANAGERS_ONLY: {
    errcode: 40351,
    status: 403,
    type: ForbiddenError,
    meaning:
      'only managers of every group a notice addresses may edit it, read its stats and recipients, or remind (recipients may read it)',
  },
  NOTICE_NOT_A_RECIPIENT: {
    errcode: 40352,
    status: 403,
    type: ForbiddenError,
    meaning: 'only the recipients of a notice read and confirm it (its managers see it without being one)',
  },
  NOTICE_NOT_FOUND: {
    errcode: 40450,
    status: 404,
    type: NotFoundError,
    meaning:
      'notice not found (also for one the caller is neither a recipient of nor a manager of its groups, and for a retracted one, to its recipients)',
  },
  NOTICE_NOT_EDITABLE: {
    errcode: 40950,
    status: 409,
    type: ConflictError,
    meaning: 'only a scheduled notice can be edited: this one is published (DELETE retracts it) or cancelled',
  },
  NOTICE_CONFIRM_NOT_ASKED: {
    errcode: 40951,
    status: 409,
    type: ConflictError,
    meaning: 'the notice does not ask for a confirmation (`requireConfirm` is false): reading it is enough',
  },
  NOTICE_REMIND_TOO_SOON: {
    errcode: 42950,
    status: 429,
    type: RateLimitedError,
    meaning: "a notice's unread recipients are reminded at most once per 10 minutes: `Retry-After` says when",
  },
  CONTENT_RISKY: {
    errcode: 42270,
    status: 422,
    type: ContentRiskyError,
    meaning:
      "WeChat's content check (`wxa/msg_sec_check`) refused the text as risky: `details` names the field; nothing was stored",
  },
  CONTENT_CHECK_UNAVAILABLE: {
    errcode: 50370,
    status: 503,
    type: ServiceUnavailableError,
    meaning:
      "WeChat's content check could not be done (busy or unreachable after retries, or an error named in errmsg): nothing was stored, unchecked text is never kept; try again",
  },
  CHECKIN_CODE_WRONG: {
    errcode: 40080,
    status: 400,
    type: ValidationError,
    meaning:
      'the check-in code is not the one shown now: type the 6 digits on the screen (5 wrong in a minute → 429)',
  },
  CHECKIN_CODE_STALE: {
    errcode: 40081,
    status: 400,
    type: ValidationError,
    meaning:
      'the check-in code was shown earlier and has rotated (a code lasts 30 s, and 10 s more once replaced): type the one shown now',
  },
  CHECKIN_NOT_MEMBER: {
    errcode: 40380,
    status: 403,
    type: ForbiddenError,
    meaning: "only members of the check-in's group may read it and sign in",
  },
  CHECKIN_MANAGERS_ONLY: {
    errcode: 40381,
    status: 403,
    type: ForbiddenError,
    meaning: "only the group's owner and managers may show the code, read the stats and remind",
  },
  CHECKIN_NOT_FOUND: {
    errcode: 40480,
    status: 404,
    type: NotFoundError,
    meaning: 'no check-in has this id (or it is older than `RETENTION_DAYS` after its end)',
  },
  CHECKIN_ALREADY_SIGNED: {
    errcode: 40980,
    status: 409,
    type: ConflictError,
    meaning: 'the caller has signed in to this check-in already: once per member',
  },
  CHECKIN_CLOSED: {
    errcode: 42280,
    status: 422,
    type: CheckinRuleError,
    meaning: 'the check-in has not started yet or has ended (its window, `startsAt`–`endsAt`)',
  },
  CHECKIN_OUTSIDE_FENCE: {
    errcode: 42281,
    status: 422,
    type: CheckinRuleError,
    meaning: "the location is outside the check-in's geofence: errmsg gives the distance and the radius",
  },
  CHECKIN_TOO_MANY_WRONG: {
    errcode: 42980,
    status: 429,
    type: RateLimitedError,
    meaning:
      'five wrong codes within a minute: signing in to this check-in is refused until the minute has passed (errmsg says when)',
  },
  COMMENT_FORBIDDEN: {
    errcode: 40370,
    status: 403,
    type: ForbiddenError,
    meaning:
      "only a comment's author deletes it; only the managers of the notice's groups delete others', approve comments held for review and list them",
  },
  COMMENT_NOT_FOUND: {
    errcode: 40470,
    status: 404,
    type: NotFoundError,
    meaning:
      'no comment with this id on the notice, or one the caller may not see (a private question or a comment held for review of someone else)',
  },
  COMMENTS_CLOSED: {
    errcode: 40970,
    status: 409,
    type: ConflictError,
    meaning: 'the notice is not published (scheduled, cancelled or retracted): it takes no comments now',
  },
  COMMENT_RATE_LIMITED: {
    errcode: 42970,
    status: 429,
    type: RateLimitedError,
    meaning:
      'more than 10 comments and replies within a minute from one person: nothing was stored; `Retry-After` says when to try again',
  },
  CONVERSATION_NOT_FOUND: {
    errcode: 40460,
    status: 404,
    type: NotFoundError,
    meaning:
      'no customer-service conversation with this openid: the user never wrote, or it was idle longer than `RETENTION_DAYS`',
  },
  CONVERSATION_WINDOW_CLOSED: {
    errcode: 40960,
    status: 409,
    type: ConflictError,
    meaning:
      "the user's customer-service window is closed (48 h after their last message, 1 min after entering the session) or used up (5 messages, 1 after entering): nothing was sent; wait for them to write again",
  },
  CUSTOMER_MESSAGE_FAILED: {
    errcode: 50360,
    status: 503,
    type: ServiceUnavailableError,
    meaning:
      "WeChat did not take the customer-service message (`custom/send` or the image's `media/upload` answered the errcode in errmsg, or was unreachable): try again later",
  },
  CONSOLE_SESSION_REQUIRED: {
    errcode: 40190,
    status: 401,
    type: UnauthorizedError,
    meaning:
      'no web console session: the cookie is missing, expired (`CONSOLE_SESSION_TTL_SECONDS`) or signed out; sign in at `/console` again',
  },
  CONSOLE_CSRF_REFUSED: {
    errcode: 40390,
    status: 403,
    type: ForbiddenError,
    meaning:
      "a console write without its session's `X-CSRF-Token` header (from `GET /api/console/session`), or from another origin: nothing was done",
  },
  CONSOLE_ROLE_REFUSED: {
    errcode: 40391,
    status: 403,
    type: ForbiddenError,
    meaning:
      "the console session's kind cannot do this: operators (ADMIN_TOKEN) see the operator pages, publishers (QR sign-in) their groups",
  },
  CONSOLE_LOGIN_OTHER_BROWSER: {
    errcode: 40392,
    status: 403,
    type: ForbiddenError,
    meaning:
      'this QR sign-in was started by another browser: only the page that showed the code can finish it',
  },
  CONSOLE_LOGIN_NOT_FOUND: {
    errcode: 40490,
    status: 404,
    type: NotFoundError,
    meaning:
      'no console sign-in has this nonce: it expired (2 min), was used, or never existed; show a new QR code',
  },
  CONSOLE_FILE_NOT_FOUND: {
    errcode: 40491,
    status: 404,
    type: NotFoundError,
    meaning:
      'no web console file at this path, or the console is not built (`dist/console`): run `npm run build`',
  },
  CONSOLE_SIMULATE_UNAVAILABLE: {
    errcode: 40492,
    status: 404,
    type: NotFoundError,
    meaning:
      '"simulate the scan" exists only in sandbox mode (`npm start` with `WX_APPID` unset): with real WeChat, scan the code with the mini-program',
  },
  CONSOLE_LOGIN_TAKEN: {
    errcode: 40990,
    status: 409,
    type: ConflictError,
    meaning: 'this console sign-in was approved already (by this user or another): show a new QR code',
  },
  CONSOLE_LOGIN_RATE_LIMITED: {
    errcode: 42990,
    status: 429,
    type: RateLimitedError,
    meaning: 'too many console sign-ins started from this address within a minute: wait (`Retry-After`)',
  },
  CONSOLE_QRCODE_UNAVAILABLE: {
    errcode: 50390,
    status: 503,
    type: ServiceUnavailableError,
    meaning:
      "WeChat did not make the sign-in QR code (`getwxacodeunlimit`'s errcode in errmsg, or unreachable): try again",
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorName = keyof typeof CATALOGUE;
