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
export const writeNotReplicated = factory('WRITE_NOT_REPLICATED', (options: Cause = {}) => ({
  message:
    'the write reached storage but no replica confirmed it in time: it may or may not survive a failover; retrying with the same Idempotency-Key is safe where the route takes one',
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

// Promises between two people.
export const promiseInviteOwn = factory(
  'PROMISE_INVITE_OWN',
  () => 'this is your own promise: share the invite with the other person',
);
export const promiseKeepForbidden = factory(
  'PROMISE_KEEP_FORBIDDEN',
  () => 'only the person reminded keeps this promise (the author of a give, the counterpart of an ask)',
);
export const promiseNotFound = factory('PROMISE_NOT_FOUND', () => 'promise not found');
export const promiseInviteNotFound = factory(
  'PROMISE_INVITE_NOT_FOUND',
  () => 'no promise invite has this code',
);
export const promiseInviteTaken = factory(
  'PROMISE_INVITE_TAKEN',
  () => 'someone else has accepted this invite already',
);
export const promiseEnded = factory('PROMISE_ENDED', () => 'the promise has ended');
export const promiseDayClosed = factory(
  'PROMISE_DAY_CLOSED',
  (day: string) => `${day} can no longer be kept: it has ended or was recorded missed`,
);
export const promiseInviteExpired = factory(
  'PROMISE_INVITE_EXPIRED',
  () => 'the invite has expired: ask for a new one',
);

// Reminder lifecycle (done, snooze).
export const reminderNotPending = factory(
  'REMINDER_NOT_PENDING',
  (status: string) => `the reminder is ${status}: only a pending reminder can be marked done`,
);
export const reminderNotSnoozable = factory(
  'REMINDER_NOT_SNOOZABLE',
  (status: string) => `the reminder is ${status}: it cannot be snoozed`,
);
export const reminderChanged = factory(
  'REMINDER_CHANGED',
  () => 'the reminder changed while this request was handled: read it and try again',
);

// Groups and members (README.md#http-api).
export const groupManagersOnly = factory(
  'GROUP_MANAGERS_ONLY',
  () => "only the group's owner and managers may do this",
);
export const groupOwnerOnly = factory(
  'GROUP_OWNER_ONLY',
  (what: string) => `only the group's owner may ${what}`,
);
export const groupNotFound = factory('GROUP_NOT_FOUND', () => 'group not found');
export const groupInviteNotFound = factory('GROUP_INVITE_NOT_FOUND', () => {
  const message = 'no group has this invite code';
  return { message, details: [{ path: 'code', message }] };
});
export const groupMemberNotFound = factory(
  'GROUP_MEMBER_NOT_FOUND',
  () => 'no member of this group has this memberId',
);
export const groupOwnedLimit = factory(
  'GROUP_OWNED_LIMIT',
  (limit: number) => `at most ${limit} groups owned per user: delete one or give its ownership away first`,
);
export const groupMembershipLimit = factory(
  'GROUP_MEMBERSHIP_LIMIT',
  (limit: number) => `at most ${limit} groups per user: leave one first`,
);
export const groupFull = factory(
  'GROUP_FULL',
  (limit: number) => `the group has ${limit} members, its limit`,
);
export const groupOwnerMustTransfer = factory(
  'GROUP_OWNER_MUST_TRANSFER',
  () => 'the owner cannot leave, be removed or be demoted: give the role owner to another member first',
);
export const groupMemberChanged = factory(
  'GROUP_MEMBER_CHANGED',
  () => 'the member changed while this request was handled: read it and try again',
);
export const groupQrcodeUnavailable = factory(
  'GROUP_QRCODE_UNAVAILABLE',
  (why: string, options: Cause = {}) => ({
    message: `WeChat did not make the QR code (${why}): try again later`,
    ...options,
  }),
);

// Notices.
export const noticeAudienceForbidden = factory(
  'NOTICE_AUDIENCE_FORBIDDEN',
  (groupIds: string[]) => `you do not manage every group you address: ${groupIds.join(', ')}`,
);
export const noticeManagersOnly = factory(
  'NOTICE_MANAGERS_ONLY',
  () => 'only managers of every group the notice addresses may do this',
);
export const noticeNotARecipient = factory(
  'NOTICE_NOT_A_RECIPIENT',
  () => 'you are not a recipient of this notice: only they read and confirm it',
);
export const noticeNotFound = factory('NOTICE_NOT_FOUND', () => 'notice not found');
export const noticeNotEditable = factory(
  'NOTICE_NOT_EDITABLE',
  (status: string) => `the notice is ${status}: only a scheduled notice can be edited`,
);
export const noticeConfirmNotAsked = factory(
  'NOTICE_CONFIRM_NOT_ASKED',
  () => 'this notice asks for no confirmation: reading it is enough',
);
export const noticeRemindTooSoon = factory(
  'NOTICE_REMIND_TOO_SOON',
  (waitSeconds: number) => `the unread were reminded less than 10 minutes ago: try again in ${waitSeconds} s`,
);

// Content security (wxa/msg_sec_check).
export const contentRisky = factory('CONTENT_RISKY', (paths: string[]) => {
  const message = "refused by WeChat's content check: change the text";
  return { message: `${paths.join(', ')}: ${message}`, details: paths.map((path) => ({ path, message })) };
});
export const contentCheckUnavailable = factory(
  'CONTENT_CHECK_UNAVAILABLE',
  (why: string, options: Cause = {}) => ({
    message: `WeChat's content check could not be done (${why}): nothing was stored, try again shortly`,
    ...options,
  }),
);

// Meeting check-in.
export const checkinCodeWrong = factory('CHECKIN_CODE_WRONG', (triesLeft: number) => {
  const message = `wrong code: type the 6 digits shown now (${triesLeft} more wrong within a minute and signing in is locked)`;
  return { message, details: [{ path: 'code', message }] };
});
export const checkinCodeStale = factory('CHECKIN_CODE_STALE', () => {
  const message = 'this code has changed: type the one shown now';
  return { message, details: [{ path: 'code', message }] };
});
export const checkinNotMember = factory(
  'CHECKIN_NOT_MEMBER',
  () => "you are not a member of this check-in's group",
);
export const checkinManagersOnly = factory(
  'CHECKIN_MANAGERS_ONLY',
  () => "only the group's owner and managers may do this",
);
export const checkinNotFound = factory('CHECKIN_NOT_FOUND', () => 'check-in not found');
export const checkinAlreadySigned = factory(
  'CHECKIN_ALREADY_SIGNED',
  (status: string) => `you have signed in already (${status})`,
);
export const checkinNotStarted = factory(
  'CHECKIN_CLOSED',
  (startsAt: string) => `the check-in has not started: it opens at ${startsAt}`,
);
export const checkinEnded = factory('CHECKIN_CLOSED', (endsAt: string) => `the check-in ended at ${endsAt}`);
export const checkinOutsideFence = factory('CHECKIN_OUTSIDE_FENCE', (distanceM: number, radiusM: number) => {
  const message = `you are ${distanceM} m from the meeting place; sign in within ${radiusM} m of it`;
  return { message, details: [{ path: 'location', message }] };
});
export const checkinTooManyWrong = factory(
  'CHECKIN_TOO_MANY_WRONG',
  (waitSeconds: number) => `five wrong codes within a minute: try again in ${waitSeconds} s`,
);

// Comments on notices.
export const commentForbidden = factory('COMMENT_FORBIDDEN', (what: string) => `only ${what}`);
export const commentNotFound = factory('COMMENT_NOT_FOUND', () => 'comment not found');
export const commentsClosed = factory(
  'COMMENTS_CLOSED',
  (status: string) => `the notice is ${status}: it takes no comments`,
);
export const commentRateLimited = factory(
  'COMMENT_RATE_LIMITED',
  (limit: number, waitSeconds: number) =>
    `at most ${limit} comments and replies a minute: try again in ${waitSeconds} s`,
);

// Customer service and the bot (docs/architecture.md#customer-service).
export const conversationNotFound = factory(
  'CONVERSATION_NOT_FOUND',
  () => 'no customer-service conversation with this user',
);
export const conversationWindowClosed = factory(
  'CONVERSATION_WINDOW_CLOSED',
  (reason: 'closed' | 'used_up') =>
    reason === 'used_up'
      ? "the user's window is used up (5 messages after their last message, 1 after entering the session): nothing was sent"
      : "the user's window is closed (48 h after their last message, 1 min after entering the session): nothing was sent",
);
export const customerMessageFailed = factory(
  'CUSTOMER_MESSAGE_FAILED',
  (errcode: number | null, errmsg: string) =>
    `WeChat did not take the message (${errcode === null ? errmsg : `errcode ${errcode}`}): try again later`,
);

// The web console.
export const consoleSessionRequired = factory(
  'CONSOLE_SESSION_REQUIRED',
  () => 'sign in to the console first (no session, or it expired)',
);
export const consoleCsrfMissing = factory(
  'CONSOLE_CSRF_REFUSED',
  () => "a console write needs the session's X-CSRF-Token header",
);
export const consoleForeignOrigin = factory(
  'CONSOLE_CSRF_REFUSED',
  () => 'a console write from another origin is refused',
);
export const consoleOperatorsOnly = factory('CONSOLE_ROLE_REFUSED', () => 'only operators may do this');
export const consolePublishersOnly = factory(
  'CONSOLE_ROLE_REFUSED',
  () => 'an operator session cannot act as a mini-program user: sign in by QR code',
);
export const consoleLoginOtherBrowser = factory(
  'CONSOLE_LOGIN_OTHER_BROWSER',
  () => 'this sign-in was started by another browser',
);
export const consoleLoginNotFound = factory(
  'CONSOLE_LOGIN_NOT_FOUND',
  () => 'this sign-in expired or was used: show a new QR code',
);
export const consoleLoginTaken = factory('CONSOLE_LOGIN_TAKEN', () => 'this sign-in was approved already');
export const consoleLoginRateLimited = factory(
  'CONSOLE_LOGIN_RATE_LIMITED',
  (waitSeconds: number) => `too many sign-ins from this address: try again in ${waitSeconds} s`,
);
export const consoleQrcodeUnavailable = factory(
  'CONSOLE_QRCODE_UNAVAILABLE',
  (why: string, options: Cause = {}) => ({
    message: `the sign-in QR code could not be made: ${why}`,
    ...options,
  }),
);
export const consoleFileNotFound = factory('CONSOLE_FILE_NOT_FOUND', (built: boolean) =>
  built ? 'no console file at this path' : 'the console is not built: run npm run build',
);
export const consoleSimulateUnavailable = factory(
  'CONSOLE_SIMULATE_UNAVAILABLE',
  () => 'simulating the scan works only in sandbox mode: scan the code with the mini-program',
);
