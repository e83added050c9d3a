/**
 * WeChat's failures as our types, decided here and nowhere else: callers branch on the class and
 * on `kind`, never on message text. `errmsg` keeps WeChat's `rid: …`, which WeChat support asks for.
 */
export type WeChatErrorKind =
  | 'transient' // -1, HTTP 5xx, timeouts: retry with backoff
  | 'token' // 40001, 42001, 40014: refresh the token once, retry once
  | 'no_quota' // 43101: the user has no unused subscription
  | 'paused' // 45009: the app's daily quota is spent
  | 'rate_limited' // 45011: too frequent
  | 'bad_code' // 40029, 40163: the login code is invalid or used
  | 'blocked' // 40226: high-risk user
  | 'final'; // everything else

export class WeChatApiError extends Error {
  readonly kind: WeChatErrorKind;

  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly api: string,
    options?: { cause?: unknown },
  ) {
    super(`WeChat ${api} answered ${errcode}: ${errmsg}`, options);
    this.name = 'WeChatApiError';
    this.kind = kindOf(errcode);
  }

  /** The `rid` WeChat appends to errmsg, when present. */
  get rid(): string | undefined {
    return /rid:\s*(\S+)/.exec(this.errmsg)?.[1];
  }
}

/** WeChat could not be reached or answered with an HTTP error or something that is not JSON. */
export class WeChatTransportError extends Error {
  readonly kind = 'transient' as const;
  /** Mirrors WeChatApiError so delivery records have one shape: -2 timeout, -3 HTTP error, -4 network. */
  readonly errcode: number;

  constructor(
    message: string,
    readonly api: string,
    readonly httpStatus?: number,
    options?: { cause?: unknown; timeout?: boolean },
  ) {
    super(message, options);
    this.name = 'WeChatTransportError';
    this.errcode = options?.timeout ? -2 : httpStatus ? -3 : -4;
  }

  get errmsg(): string {
    return this.message;
  }
}

export type WeChatError = WeChatApiError | WeChatTransportError;

export function isWeChatError(err: unknown): err is WeChatError {
  return err instanceof WeChatApiError || err instanceof WeChatTransportError;
}

function kindOf(errcode: number): WeChatErrorKind {
  switch (errcode) {
    case -1:
      return 'transient';
    case 40001:
    case 42001:
    case 40014:
      return 'token';
    case 43101:
      return 'no_quota';
    case 45009:
      return 'paused';
    case 45011:
      return 'rate_limited';
    case 40029:
    case 40163:
      return 'bad_code';
    case 40226:
      return 'blocked';
    default:
      return 'final';
  }
}
