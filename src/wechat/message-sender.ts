import type { Outgoing } from '../delivery/occurrence-kind';
import type { DeliveryAttempt } from '../domain/reminder';
import type { Logger } from '../logger';
import type { PauseWindow, SendPauseStore } from '../store/send-pause-store';
import type { SendStatus } from '../delivery/outcome';
import { decide, type AttemptState } from '../delivery/send-policy';
import { isWeChatError, type WeChatError } from './errors';
import { TemplateRenderError, UnknownTemplateError } from './templates';
import type { TokenManager } from './token-manager';
import type { SubscribeMessage, WeChatClient } from './wechat-client';

// How long this instance trusts its last read of the pause window (it changes only on a 45009).
const PAUSE_WINDOW_CACHE_MS = 1000;
const ACCEPTED = { errcode: 0, errmsg: 'ok' };

export type { PauseWindow } from '../store/send-pause-store';

export interface SendOutcome {
  status: SendStatus;
  errcode: number | null;
  errmsg: string;
  msgid: string | null;
  attempts: number;
  // The attempt that ended the occurrence (sent, failed, no_quota), not yet recorded: the pipeline
  // writes it with the outcome. null when no outcome follows (paused, lost).
  last: DeliveryAttempt | null;
}

export interface MessageSenderOptions {
  client: Pick<WeChatClient, 'sendSubscribeMessage'>;
  tokens: Pick<TokenManager, 'get' | 'invalidate'>;
  pauses: Pick<SendPauseStore, 'remainingMs' | 'window' | 'pause'>; // the 45009 pause every instance shares
  logger: Logger;
  miniprogramState: SubscribeMessage['miniprogram_state'];
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
  onAttempt: (attempt: DeliveryAttempt) => Promise<void>; // an attempt on the way (retry, paused)
  keepClaim: () => Promise<boolean>; // renews the claim's lease; false if it was lost
}

/** One send in progress: the occurrence it is for and the attempts made so far. */
interface SendRun {
  occurrence: string;
  attempts: number;
}

/** A rendered message, or why the occurrence's template cannot be rendered (a final failure). */
export type Prepared = { message: SubscribeMessage } | { message: null; errmsg: string };

/**
 * Renders an occurrence's message and sends it through subscribeMessage.send, acting on the
 * decisions of src/delivery/send-policy.ts (docs/architecture.md#retries-and-wechat-errors): one
 * call, retried, refreshed or paused as the policy says. Whether it may be sent at all (grant,
 * daily allowance) is the pipeline's admission step (src/delivery/admission.ts), between the two.
 */
export class MessageSender {
  private readonly now: () => number;
  private pausedUntil = 0;
  private pauseRead: Promise<boolean> | undefined;
  private window: { value: PauseWindow | null; readAt: number } | undefined;
  private readonly lang: SubscribeMessage['lang'];

  constructor(private readonly options: MessageSenderOptions) {
    this.now = options.now ?? Date.now;
    this.lang = options.lang ?? 'zh_CN';
  }

  /**
   * True while this instance knows of a 45009 pause in force: one it met, or one the admission
   * step was told of (`notePause`). Costs no Redis call; the admission step itself checks the pause
   * every other instance shares.
   */
  get pausedHere(): boolean {
    return this.pausedUntil > this.now();
  }

  /** The admission step found sends paused for `remainingMs` (a 45009 met by any instance). */
  notePause(remainingMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + remainingMs);
  }

  /** True while WeChat's daily quota pause (45009) is in force on any instance (asks Redis). */
  async isPaused(): Promise<boolean> {
    if (this.pausedHere) return true;
    // Callers that ask while a read is on its way share it (a pause met while that read is in
    // flight is still caught by the send).
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
   * pipeline counts their grace from its end. A read of the last second is answered as it is, with
   * no promise (a spike plans thousands a second); an older one is read again from Redis.
   */
  pauseWindow(): PauseWindow | null | Promise<PauseWindow | null> {
    const now = this.now();
    if (this.window && now - this.window.readAt < PAUSE_WINDOW_CACHE_MS) return this.window.value;
    return this.options.pauses.window().then((value) => {
      this.window = { value, readAt: now };
      return value;
    });
  }

  /**
   * Renders `outgoing` (one occurrence, `occurrence` in its delivery record). A template that no
   * longer renders (removed from config/templates.json since the occurrence was created) is a
   * final failure that costs nothing, found before any grant is taken.
   */
  prepare(outgoing: Outgoing, occurrence: string): Prepared {
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
      return { message: null, errmsg };
    }
    const message: SubscribeMessage = {
      touser: outgoing.openid,
      template_id: outgoing.templateId,
      data,
      miniprogram_state: this.options.miniprogramState,
      lang: this.lang,
    };
    if (outgoing.page) message.page = outgoing.page;
    return { message };
  }

  /**
   * Sends `message` (admitted) by `deadline`. The attempts on the way (retries, a pause) are
   * recorded through `hooks.onAttempt`; the one that ends the occurrence is returned in `last`, for
   * the pipeline to record with the outcome in one write. `no_quota` here is WeChat's 43101;
   * `paused` a 45009 (this send's or another's, met while it backed off); `lost` the claim went
   * elsewhere while it backed off.
   */
  async send(
    message: SubscribeMessage,
    occurrence: string,
    deadline: number,
    hooks: DeliveryHooks,
  ): Promise<SendOutcome> {
    const run: SendRun = { occurrence, attempts: 0 };
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
      const answer = error ?? ACCEPTED;
      const decision = decide(answer, state, deadline, this.now(), this.options);
      switch (decision.action) {
        case 'refresh_token':
          state.tokenRefreshed = true;
          await hooks.onAttempt(this.attempt(run, 'retry', started, answer));
          await this.options.tokens.invalidate(token);
          continue;
        case 'retry': {
          state.transientTries += 1;
          if (!(await hooks.keepClaim())) break; // recorded failed below, as when retries run out
          await hooks.onAttempt(this.attempt(run, 'retry', started, answer));
          await new Promise((resolve) => setTimeout(resolve, decision.afterMs));
          // A 45009 met by any send while this one backed off stops it too: hand the occurrence
          // back (no attempt made) and it is sent when the pause ends.
          if (await this.isPaused()) {
            const errmsg = 'sending paused (45009) while this send was backing off';
            return {
              status: 'paused',
              errcode: 45009,
              errmsg,
              msgid: null,
              attempts: run.attempts,
              last: null,
            };
          }
          // The claim may have been given back (graceful stop) or taken over while we slept:
          // whoever holds it now sends; calling WeChat again here would send twice.
          if (!(await hooks.keepClaim())) {
            const errmsg = 'claim lost while backing off';
            return {
              status: 'lost',
              errcode: answer.errcode,
              errmsg,
              msgid: null,
              attempts: run.attempts,
              last: null,
            };
          }
          continue;
        }
        case 'zero_quota':
          return this.ended(run, 'no_quota', started, answer);
        case 'pause':
          // No outcome follows (the occurrence is given back): the attempt is recorded on its own.
          await hooks.onAttempt(this.attempt(run, 'paused', started, answer));
          await this.pause();
          return {
            status: 'paused',
            errcode: answer.errcode,
            errmsg: answer.errmsg,
            msgid: null,
            attempts: run.attempts,
            last: null,
          };
        case 'final':
          if (decision.outcome === 'sent') return this.ended(run, 'sent', started, ACCEPTED, msgid);
          if (decision.loud) {
            this.options.logger.error(
              { templateId: message.template_id, errcode: answer.errcode },
              'WeChat says the template id is invalid (40037)',
            );
          }
          break;
      }
      return this.ended(run, 'failed', started, answer);
    }
  }

  /** The next attempt of `run`, made of WeChat's `answer` to a call that began at `started`. */
  private attempt(
    run: SendRun,
    result: DeliveryAttempt['result'],
    started: number,
    answer: { errcode: number; errmsg: string },
    msgid: string | null = null,
  ): DeliveryAttempt {
    run.attempts += 1;
    const now = this.now();
    return {
      occurrence: run.occurrence,
      attempt: run.attempts,
      at: new Date(now).toISOString(),
      latencyMs: now - started,
      errcode: answer.errcode,
      errmsg: answer.errmsg,
      msgid,
      result,
    };
  }

  /** How `run` ended, with the attempt that ended it (recorded by the pipeline with the outcome). */
  private ended(
    run: SendRun,
    status: 'sent' | 'failed' | 'no_quota',
    started: number,
    answer: { errcode: number; errmsg: string },
    msgid: string | null = null,
  ): SendOutcome {
    const last = this.attempt(run, status, started, answer, msgid);
    return { status, errcode: answer.errcode, errmsg: answer.errmsg, msgid, attempts: run.attempts, last };
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
