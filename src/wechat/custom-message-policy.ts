/**
 * What tixing does when WeChat answers a `custom/send` (or the `media/upload` before it), errcode
 * by errcode, in one place (docs/wechat.md#customer-service-messages). Pure: it decides,
 * CustomerServiceSender acts (the token, the window, the record). The subscribe-message policy is
 * src/delivery/send-policy.ts; a customer-service answer is no occurrence of the delivery pipeline
 * (no grant, no claim, no misfire grace), so its few rules are kept apart from that table.
 * test/bot/custom-message-policy.test.ts holds every errcode.
 */

export interface CustomAttemptState {
  transientTries: number; // failed calls counted against maxTries
  tokenRefreshed: boolean; // the one token refresh was spent
}

export interface CustomPolicyOptions {
  maxTries?: number; // transient failures, default 3 (an answer is worth seconds, not minutes)
  backoffBaseMs?: number; // first retry delay before jitter, default 200 ms
  backoffMaxMs?: number; // default 1 s
}

export type CustomDecision =
  | { action: 'sent' }
  | { action: 'failed' } // final, recorded with WeChat's errcode
  | { action: 'window'; reason: 'closed' | 'used_up' } // 45015 / 45047: recorded, the window closed, never retried
  | { action: 'retry'; afterMs: number }
  | { action: 'refresh_token' }; // replace the token once and call again at once

type Reaction = 'sent' | 'transient' | 'token' | 'window_closed' | 'window_used_up' | 'final';

export function customReactionTo(errcode: number): Reaction {
  switch (errcode) {
    case 0:
      return 'sent';
    case -1: // system busy
    case -2: // timeout (tixing)
    case -3: // HTTP 5xx or an answer that is not JSON (tixing)
    case -4: // network error (tixing)
      return 'transient';
    case 40001: // token stale
    case 42001: // token expired
    case 40014: // token illegal
      return 'token';
    case 45015: // the reply time limit passed: the user's window is over
      return 'window_closed';
    case 45047: // too many messages in the window
      return 'window_used_up';
    default: // 40003 openid, 40007 media_id, 48001 not authorised, 45002 too long…
      return 'final';
  }
}

/** The decision for one answer; `random` in [0, 1) is the jitter (Math.random in production). */
export function decideCustomSend(
  errcode: number,
  state: CustomAttemptState,
  options: CustomPolicyOptions = {},
  random: () => number = Math.random,
): CustomDecision {
  switch (customReactionTo(errcode)) {
    case 'sent':
      return { action: 'sent' };
    case 'window_closed':
      return { action: 'window', reason: 'closed' };
    case 'window_used_up':
      return { action: 'window', reason: 'used_up' };
    case 'final':
      return { action: 'failed' };
    case 'token':
      // Once: a fresh token refused too is retried like any transient failure.
      return state.tokenRefreshed ? retryOrFail(state, options, random) : { action: 'refresh_token' };
    case 'transient':
      return retryOrFail(state, options, random);
  }
}

function retryOrFail(
  state: CustomAttemptState,
  options: CustomPolicyOptions,
  random: () => number,
): CustomDecision {
  const tries = state.transientTries + 1;
  if (tries >= (options.maxTries ?? 3)) return { action: 'failed' };
  const base = options.backoffBaseMs ?? 200;
  const cap = Math.min(options.backoffMaxMs ?? 1000, base * 2 ** (tries - 1));
  return { action: 'retry', afterMs: Math.round(cap / 2 + random() * (cap / 2)) };
}
