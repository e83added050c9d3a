import type { Outgoing } from '../delivery/occurrence-kind';
import type { DeliveryAttempt } from '../domain/reminder';
import type { Logger } from '../logger';
import type { QuotaStore } from '../store/quota-store';
import type { SendLimiter } from '../store/send-limiter';
import type { PauseWindow, SendPauseStore } from '../store/send-pause-store';
import type { SendStatus } from '../delivery/outcome';
import { decide, type AttemptState } from '../delivery/send-policy';
import { isWeChatError, type WeChatError } from './errors';
import { TemplateRenderError, UnknownTemplateError } from './templates';
import type { TokenManager } from './token-manager';
import type { SubscribeMessage, WeChatClient } from './wechat-client';

// How long this instance trusts its last read of the pause window (it changes only on a 45009).
const PAUSE_WINDOW_CACHE_MS = 1000;

export type { PauseWindow } from '../store/send-pause-store';

export interface SendOutcome {
  status: SendStatus;
  errcode: number | null;
  errmsg: string;
  msgid: string | null;
  attempts: number;
}

export interface MessageSenderOptions {
  client: Pick<WeChatClient, 'sendSubscribeMessage'>;
  tokens: Pick<TokenManager, 'get' | 'invalidate'>;
  quota: Pick<QuotaStore, 'take' | 'refund' | 'zero'>;
  limiter: Pick<SendLimiter, 'take' | 'giveBack' | 'limit'>; // USER_DAILY_SEND_LIMIT
  pauses: Pick<SendPauseStore, 'remainingMs' | 'window' | 'pause'>; // the 45009 pause every instance shares
  logger: Logger;
  miniprogramState: SubscribeMessage['miniprogram_state'];
  quotaMode: 'enforce' | 'ignore';
  lang?: SubscribeMessage['lang']; // default zh_CN
  maxTries?: number; // transient failures, default 5
  backoffBaseMs?: number; // first retry delay before jitter, default 500 ms
  backoffMaxMs?: number; // default 8 s
  pauseMs?: number; // how long a 45009 pauses every instance's sends, default 10 min
  // MISFIRE_GRACE_SECONDS in ms: a pause starting within it of the last one's end extends that
  // one's window.
  graceMs: number;
  now?: () => number;
}

export interface DeliveryHooks {
  onAttempt: (attempt: DeliveryAttempt) => Promise<void>;
  keepClaim: () => Promise<boolean>; // renews the claim's lease; false if it was lost
}

/**
 * Sends one rendered occurrence through subscribeMessage.send, acting on the decisions of
 * src/delivery/send-policy.ts (docs/architecture.md#retries-and-wechat-errors): the ledger is
 * consulted first (QUOTA_MODE=enforce), then the user's daily allowance (USER_DAILY_SEND_LIMIT:
 * past it the occurrence is rate_limited and the grant given back); then the call, retried,
 * refreshed, paused or zeroed as the policy says. A message that does not go out gives back its
 * grant and its allowance.
 */
export class MessageSender {
  private readonly now: () => number;
  private pausedUntil = 0;
  private pauseRead: Promise<boolean> | undefined;
  private window: { value: PauseWindow | null; readAt: number } | undefined;

  constructor(private readonly options: MessageSenderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** True while WeChat's daily quota pause (45009) is in force on any instance. */
  async isPaused(): Promise<boolean> {
    if (this.pausedUntil > this.now()) return true;
    // Callers that ask while a read is on its way share it: a burst of due occurrences costs one
    // PTTL, not one each (a pause met while that read is in flight is still caught by the send).
    this.pauseRead ??= this.options.pauses.remainingMs().then(
      (ms) => {
        this.pauseRead = undefined;
        this.pausedUntil = ms > 0 ? this.now() + ms : 0;
        return ms > 0;
      },
      (err: unknown) => {
        this.pauseRead = undefined;
        throw err;
      },
    );
    return this.pauseRead;
  }

  /**
   * The latest pause's window, or null when none happened in the last day. Occurrences it held back
   * keep their right to be sent until it ends (docs/architecture.md#a-pause-is-never-a-miss): the
   * dispatcher counts their grace from its end.
   */
  async pauseWindow(): Promise<PauseWindow | null> {
    const now = this.now();
    if (this.window && now - this.window.readAt < PAUSE_WINDOW_CACHE_MS) return this.window.value;
    const value = await this.options.pauses.window();
    this.window = { value, readAt: now };
    return value;
  }

  /** Sends `outgoing` (one occurrence, `occurrence` in its delivery record) by `deadline`. */
  async deliver(
    outgoing: Outgoing,
    occurrence: string,
    deadline: number,
    hooks: DeliveryHooks,
  ): Promise<SendOutcome> {
    const { quota, quotaMode } = this.options;
    let attempt = 0;
    const record = async (
      result: DeliveryAttempt['result'],
      started: number,
      errcode: number | null,
      errmsg: string,
      msgid: string | null = null,
    ) => {
      attempt += 1;
      await hooks.onAttempt({
        occurrence,
        attempt,
        at: new Date(this.now()).toISOString(),
        latencyMs: this.now() - started,
        errcode,
        errmsg,
        msgid,
        result,
      });
    };

    const failure = (
      status: SendOutcome['status'],
      error: { errcode: number; errmsg: string },
    ): SendOutcome => ({
      status,
      errcode: error.errcode,
      errmsg: error.errmsg,
      msgid: null,
      attempts: attempt,
    });

    // Render before taking a grant: a template that no longer renders (removed from
    // config/templates.json since the occurrence was created) is a final failure that costs nothing.
    let data: SubscribeMessage['data'];
    try {
      data = outgoing.render();
    } catch (err) {
      // Only what the catalogue can refuse is the occurrence's failure; anything else is a bug and
      // propagates (the claim runs out and the occurrence is tried again) rather than being
      // recorded as if WeChat or the template had refused it.
      if (!(err instanceof UnknownTemplateError || err instanceof TemplateRenderError)) throw err;
      const errmsg = `template cannot be rendered: ${err.message}`;
      this.options.logger.error({ templateId: outgoing.templateId, occurrence }, errmsg);
      await record('failed', this.now(), null, errmsg);
      return { status: 'failed', errcode: null, errmsg, msgid: null, attempts: attempt };
    }
    const { openid, templateId } = outgoing;
    const message: SubscribeMessage = {
      touser: openid,
      template_id: templateId,
      ...(outgoing.page ? { page: outgoing.page } : {}),
      data,
      miniprogram_state: this.options.miniprogramState,
      lang: this.options.lang ?? 'zh_CN',
    };

    if (quotaMode === 'enforce' && !(await quota.take(openid, templateId))) {
      const errmsg = 'no subscription grant left for this template: the user must accept it again';
      await record('no_quota', this.now(), null, errmsg);
      return { status: 'no_quota', errcode: null, errmsg, msgid: null, attempts: attempt };
    }
    const refundGrant = () => (quotaMode === 'enforce' ? quota.refund(openid, templateId) : undefined);
    // Taken after the grant, so a user without one is recorded no_quota and costs no allowance.
    const allowance = await this.options.limiter.take(openid);
    if (!allowance) {
      await refundGrant();
      const { limit } = this.options.limiter;
      const errmsg = `the user has had ${limit} subscribe messages today (USER_DAILY_SEND_LIMIT)`;
      await record('rate_limited', this.now(), null, errmsg);
      return { status: 'rate_limited', errcode: null, errmsg, msgid: null, attempts: attempt };
    }
    // A message that did not go out costs the user neither a grant nor a send of the day.
    const refund = async () => {
      await refundGrant();
      await this.options.limiter.giveBack(allowance);
    };

    // What each answer leads to is decided in one place, src/delivery/send-policy.ts; this loop acts.
    const state: AttemptState = { transientTries: 0, tokenRefreshed: false };
    for (;;) {
      const started = this.now();
      let token = '';
      let error: WeChatError | undefined;
      let msgid: string | null = null;
      try {
        token = await this.options.tokens.get();
        msgid = (await this.options.client.sendSubscribeMessage(token, message)).msgid ?? null;
      } catch (err) {
        if (!isWeChatError(err)) throw err;
        error = err;
      }
      const answer = error ?? { errcode: 0, errmsg: 'ok' };
      const decision = decide(answer, state, deadline, this.now(), this.options);
      if (decision.action === 'final' && decision.outcome === 'sent') {
        await record('sent', started, 0, 'ok', msgid);
        return { status: 'sent', errcode: 0, errmsg: 'ok', msgid, attempts: attempt };
      }
      switch (decision.action) {
        case 'refresh_token':
          state.tokenRefreshed = true;
          await record('retry', started, answer.errcode, answer.errmsg);
          await this.options.tokens.invalidate(token);
          continue;
        case 'retry': {
          state.transientTries += 1;
          if (!(await hooks.keepClaim())) break; // recorded failed below, as when retries run out
          await record('retry', started, answer.errcode, answer.errmsg);
          await new Promise((resolve) => setTimeout(resolve, decision.afterMs));
          // A 45009 met by any send while this one backed off stops it too: hand the occurrence
          // back (no attempt made) and it is sent when the pause ends.
          if (await this.isPaused()) {
            await refund();
            const errmsg = 'sending paused (45009) while this send was backing off';
            return { status: 'paused', errcode: 45009, errmsg, msgid: null, attempts: attempt };
          }
          // The claim may have been given back (graceful stop) or taken over while we slept:
          // whoever holds it now sends; calling WeChat again here would send twice.
          if (!(await hooks.keepClaim())) {
            await refund();
            const errmsg = 'claim lost while backing off';
            return { status: 'lost', errcode: answer.errcode, errmsg, msgid: null, attempts: attempt };
          }
          continue;
        }
        case 'zero_quota':
          await record('no_quota', started, answer.errcode, answer.errmsg);
          await quota.zero(openid, templateId);
          await this.options.limiter.giveBack(allowance);
          return failure('no_quota', answer);
        case 'pause':
          await record('paused', started, answer.errcode, answer.errmsg);
          await refund();
          await this.pause();
          return failure('paused', answer);
        case 'final':
          if (decision.loud) {
            this.options.logger.error(
              { templateId, errcode: answer.errcode },
              'WeChat says the template id is invalid (40037)',
            );
          }
          break;
      }
      await record('failed', started, answer.errcode, answer.errmsg);
      await refund();
      return failure('failed', answer);
    }
  }

  private async pause(): Promise<void> {
    const pauseMs = this.options.pauseMs ?? 10 * 60_000;
    const start = this.now();
    this.pausedUntil = start + pauseMs;
    const window = await this.options.pauses.pause(start, pauseMs, this.options.graceMs);
    this.window = { value: window, readAt: start };
    this.options.logger.error({ pauseMs }, 'WeChat daily send quota reached (45009): sends paused');
  }
}
