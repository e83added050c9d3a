/**
 * What tixing does when WeChat answers a subscribeMessage.send, errcode by errcode, in one place
 * (docs/wechat.md#errcodes-and-how-we-react). Pure: it decides, MessageSender.deliver acts (the
 * token, the ledger, the pause, the claim). test/delivery/send-policy.test.ts holds every errcode.
 */

/** How WeChat answered one call: its errcode (0 accepted); transport failures carry tixing's own. */
export interface SendAnswer {
  errcode: number; // -2 timeout, -3 HTTP error (not JSON), -4 network error
}

/** What the occurrence has been through so far. */
export interface AttemptState {
  transientTries: number; // failed calls counted against maxTries
  tokenRefreshed: boolean; // the one token refresh was spent
}

export interface SendPolicyOptions {
  maxTries?: number; // default 5
  backoffBaseMs?: number; // first retry delay before jitter, default 500 ms
  backoffMaxMs?: number; // default 8 s
}

export type SendDecision =
  | { action: 'final'; outcome: 'sent' | 'failed'; loud?: true } // loud: a configuration error
  | { action: 'retry'; afterMs: number } // back off, then call again (if the claim still holds)
  | { action: 'refresh_token' } // replace the token once and call again at once
  | { action: 'zero_quota' } // final no_quota; the user's ledger for the template goes to 0
  | { action: 'pause' }; // every instance stops sending; the occurrence is given back

/** The kind of reaction each errcode gets; anything not named is final. */
type Reaction = 'sent' | 'transient' | 'token' | 'no_quota' | 'pause' | 'final' | 'final_loud';

export function reactionTo(errcode: number): Reaction {
  switch (errcode) {
    case 0:
      return 'sent';
    case -1: // system busy
    case -2: // timeout
    case -3: // HTTP 5xx or an answer that is not JSON
    case -4: // network error
      return 'transient';
    case 40001: // token stale
    case 42001: // token expired
    case 40014: // token illegal
      return 'token';
    case 43101: // the user has no unused subscription for this template
      return 'no_quota';
    case 45009: // the app's daily quota: a pause, never a miss
      return 'pause';
    case 40037: // invalid template_id: a deployment mistake, logged at error level
      return 'final_loud';
    default: // 40003 openid, 41030 page, 47003 field rule, 48001 not authorised, 45168 sensitive word…
      return 'final';
  }
}

/**
 * The decision for one answer. `random` in [0, 1) is the jitter (Math.random in production): full
 * jitter, uniform in [d/2, d] with d = base·2^(n−1) capped, bullmq's way of keeping backoffs. A
 * retry is offered only while tries remain and it would start before `deadline` (the misfire
 * grace).
 */
export function decide(
  answer: SendAnswer,
  state: AttemptState,
  deadline: number,
  now: number,
  options: SendPolicyOptions = {},
  random: () => number = Math.random,
): SendDecision {
  const reaction = reactionTo(answer.errcode);
  switch (reaction) {
    case 'sent':
      return { action: 'final', outcome: 'sent' };
    case 'no_quota':
      return { action: 'zero_quota' };
    case 'pause':
      return { action: 'pause' };
    case 'final':
      return { action: 'final', outcome: 'failed' };
    case 'final_loud':
      return { action: 'final', outcome: 'failed', loud: true };
    case 'token':
      // Once: a fresh token refused too is retried like any transient failure.
      return state.tokenRefreshed
        ? retryOrFail(state, deadline, now, options, random)
        : { action: 'refresh_token' };
    case 'transient':
      return retryOrFail(state, deadline, now, options, random);
  }
}

function retryOrFail(
  state: AttemptState,
  deadline: number,
  now: number,
  options: SendPolicyOptions,
  random: () => number,
): SendDecision {
  const tries = state.transientTries + 1;
  const afterMs = backoffMs(tries, options, random);
  if (tries < (options.maxTries ?? 5) && now + afterMs < deadline) return { action: 'retry', afterMs };
  return { action: 'final', outcome: 'failed' };
}

/** Full jitter: uniform in [d/2, d], d = base·2^(tries−1) capped at the maximum. */
export function backoffMs(tries: number, options: SendPolicyOptions, random: () => number): number {
  const base = options.backoffBaseMs ?? 500;
  const cap = Math.min(options.backoffMaxMs ?? 8000, base * 2 ** (tries - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}
