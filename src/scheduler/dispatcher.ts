import { randomUUID } from 'node:crypto';
import { occurrenceId, type DeliveryAttempt, type LastResult, type Reminder } from '../domain/reminder';
import type { Logger } from '../logger';
import { isRedisUnavailable } from '../store/redis';
import type { FinishInput, ReminderStore } from '../store/reminder-store';
import type { PauseWindow } from '../store/send-pause-store';
import type { MessageSender, SendOutcome } from '../wechat/message-sender';
import { latestOccurrenceAtOrBefore, nextOccurrence } from './recurrence';

export interface DispatcherOptions {
  store: ReminderStore;
  sender: Pick<MessageSender, 'deliver' | 'isPaused' | 'pauseWindow'>;
  logger: Logger;
  instanceId: string;
  concurrency: number; // in-flight occurrences per instance (SEND_CONCURRENCY)
  graceMs: number; // MISFIRE_GRACE_SECONDS in ms
  leaseMs?: number; // claim lease, default 30 s
  now?: () => number;
  onOutcome?: (event: { status: string; errcode: number | null; latenessMs: number }) => void; // metrics
  onRedisError?: () => void; // metrics: an occurrence met Redis unavailable
}

/** How a graceful stop ended: every send finished, or the wait ran out and claims were given back. */
export interface DrainResult {
  finished: boolean; // all in-flight occurrences finished within the wait
  released: number; // claims given back because their occurrence had not finished
}

/** What to do with a claimed occurrence (see Dispatcher.plan). */
interface Plan {
  sendAt: number | null; // the slot the message announces; null: record a miss
  next: number | null; // a recurring reminder's next slot (after now); null: the reminder is done
  deadline: number; // no retry starts after this
  missed: { summary: string; detail: string }; // why, when sendAt is null (lastResult, delivery record)
}

interface HeldClaim {
  id: string;
  slot: number;
  leaseUntil: number; // our clock's view of when the claim's lease runs out
}

/**
 * Turns a timer's hint into at most one send: re-read and claim the occurrence in Redis, decide
 * between sending, coalescing and recording a miss, deliver, and finish with a compare-and-set on
 * the claim. No lock is held across the WeChat call other than the claim's lease, which is renewed
 * between retries; a claim whose instance died is taken over once its lease runs out.
 */
export class Dispatcher {
  private readonly inFlight = new Set<string>();
  private readonly queue: { occurrence: string; run: () => void }[] = [];
  // Claims this instance holds right now, so a stop that cannot wait for them gives them back.
  private readonly held = new Map<string, HeldClaim>();
  private active = 0;
  private accepting = true;
  private abandoned = false; // the drain's wait ran out: held claims were released
  private readonly owner: string;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private idle: (() => void) | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.owner = `${options.instanceId}:${randomUUID()}`;
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** The registry's onFire: queue the occurrence unless it is already queued here. */
  fire = (id: string, slot: number): void => {
    const occurrence = occurrenceId(id, slot);
    if (!this.accepting || this.inFlight.has(occurrence)) return;
    this.inFlight.add(occurrence);
    const run = () => {
      void this.process(id, slot)
        .catch((err: Error) => {
          if (isRedisUnavailable(err)) this.options.onRedisError?.();
          // Redis lost mid-way: the claim is released or runs out, and the sweep retries the occurrence.
          this.options.logger.warn(
            { occurrence, err: err.message },
            'occurrence not finished; it will be retried',
          );
        })
        .finally(() => {
          this.inFlight.delete(occurrence);
          this.active -= 1;
          this.pump();
        });
    };
    this.queue.push({ occurrence, run });
    this.pump();
  };

  /**
   * Graceful stop: takes no new occurrence, forgets the queued ones (their due entries stay, so
   * another instance takes them), waits up to `timeoutMs` for those in flight, and then gives
   * back the claims of any still unfinished so another instance takes them at once instead of
   * after their lease. A send still waiting for WeChat's answer at that point may then be sent
   * twice, the price of a bounded stop (a WeChat call times out well within the instance's
   * DRAIN_TIMEOUT_MS, src/instance.ts).
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    this.accepting = false;
    for (const { occurrence } of this.queue.splice(0)) this.inFlight.delete(occurrence);
    if (this.active === 0) return { finished: true, released: 0 };
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => (this.idle = () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeoutMs, false))),
    ]);
    clearTimeout(timer);
    this.idle = undefined;
    if (finished) return { finished: true, released: 0 };
    this.abandoned = true;
    const claims = [...this.held.values()];
    this.held.clear();
    const results = await Promise.allSettled(
      claims.map((c) => this.options.store.releaseClaim(c.id, c.slot, this.owner)),
    );
    const released = results.filter((r) => r.status === 'fulfilled' && r.value).length;
    this.options.logger.warn(
      { unfinished: this.active, released },
      'stop: sends still unfinished after the wait; their claims were given back',
    );
    return { finished: false, released };
  }

  private pump(): void {
    while (this.active < this.options.concurrency && this.queue.length > 0) {
      const next = this.queue.shift();
      this.active += 1;
      next?.run();
    }
    if (this.active === 0 && this.queue.length === 0) this.idle?.();
  }

  private async process(id: string, slot: number): Promise<void> {
    const { store, sender } = this.options;
    if (!this.accepting || (await sender.isPaused())) return;
    const claim = await store.claim(id, slot, this.owner, this.leaseMs);
    if (!claim.ok) return;
    const occurrence = occurrenceId(id, slot);
    if (!this.accepting) {
      // Claimed while the stop began: hand it straight back rather than start a send.
      await store.releaseClaim(id, slot, this.owner);
      return;
    }
    const held: HeldClaim = { id, slot, leaseUntil: this.now() + this.leaseMs };
    this.held.set(occurrence, held);
    try {
      await this.send(claim.reminder, slot, occurrence, held);
    } finally {
      if (this.held.get(occurrence) === held) this.held.delete(occurrence);
    }
  }

  private async send(reminder: Reminder, slot: number, occurrence: string, held: HeldClaim): Promise<void> {
    const { store, sender } = this.options;
    const { id } = reminder;
    const now = this.now();
    const { sendAt, next, deadline, missed } = await this.plan(reminder, slot, now);
    // Attempts that could not be written while Redis was away; written before the outcome.
    const unwritten: DeliveryAttempt[] = [];

    let outcome: SendOutcome | { status: 'missed' };
    if (sendAt === null) {
      outcome = { status: 'missed' };
      await store.appendDelivery(id, {
        occurrence,
        attempt: 1,
        at: new Date(now).toISOString(),
        latencyMs: 0,
        errcode: null,
        errmsg: missed.detail,
        msgid: null,
        result: 'missed',
      });
    } else {
      outcome = await sender.deliver(reminder, occurrence, sendAt, deadline, {
        onAttempt: async (attempt) => {
          try {
            await store.appendDelivery(id, attempt);
          } catch (err) {
            if (!isRedisUnavailable(err)) throw err;
            unwritten.push(attempt);
          }
        },
        keepClaim: async () => {
          if (this.abandoned) return false;
          const kept = await store.extendClaim(id, slot, this.owner, this.leaseMs);
          if (kept) held.leaseUntil = this.now() + this.leaseMs;
          return kept;
        },
      });
    }
    if (outcome.status === 'paused') {
      // WeChat's daily quota: give the occurrence back untouched; it is retried when sends resume.
      await store.releaseClaim(id, slot, this.owner);
      return;
    }
    if (outcome.status === 'lost') return; // its new holder records the outcome
    const finishedAt = this.now();
    const recorded =
      outcome.status === 'missed' ? { errcode: null, errmsg: missed.summary, msgid: null } : outcome;
    const lastResult: LastResult = {
      at: new Date(finishedAt).toISOString(),
      errcode: recorded.errcode,
      errmsg: recorded.errmsg,
      msgid: recorded.msgid,
    };
    const finish: FinishInput = {
      id,
      openid: reminder.openid,
      slot,
      owner: this.owner,
      status: outcome.status,
      lastResult,
      nextSlot: next,
      now: finishedAt,
      statsField: `${new Date(finishedAt).toISOString().slice(0, 10)}:${outcome.status}`,
      msgid: recorded.msgid,
    };
    for (const attempt of unwritten) await this.whileClaimed(held, () => store.appendDelivery(id, attempt));
    const result = await this.whileClaimed(held, () => store.finish(finish));
    if (result === 'lost') {
      this.options.logger.warn(
        { occurrence, status: outcome.status },
        this.abandoned
          ? 'outcome not recorded: the claim was given back when the stop stopped waiting'
          : 'claim lost before the outcome was recorded (lease ran out)',
      );
    }
    this.options.onOutcome?.({
      status: outcome.status,
      errcode: recorded.errcode,
      latenessMs: finishedAt - (sendAt ?? slot),
    });
  }

  /**
   * Runs a write that records what WeChat already answered, riding out a Redis outage for as long
   * as our claim would still hold: giving up would leave the occurrence to be sent again once the
   * lease ran out. The write is a compare-and-set on the claim, so retrying it is always safe.
   */
  private async whileClaimed<T>(held: HeldClaim, write: () => Promise<T>): Promise<T> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      try {
        return await write();
      } catch (err) {
        if (!isRedisUnavailable(err) || this.abandoned || this.now() + delay >= held.leaseUntil) throw err;
        this.options.onRedisError?.();
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Which instant to announce (null: record a miss), until when it may be retried, and where a
   * recurring reminder goes next. An occurrence may be sent until the misfire grace after its slot
   * has passed — or, if a 45009 pause held it back, the grace after the pause's end (a pause never
   * turns a send into a miss: docs/architecture.md#a-pause-is-never-a-miss). A recurring reminder
   * sends at most one message however many of its slots came due meanwhile, the latest still within
   * its grace (coalescing), and moves on to its first slot after now; slots come from the rule,
   * never from "now", so nothing drifts.
   */
  private async plan(reminder: Reminder, slot: number, now: number): Promise<Plan> {
    const { graceMs } = this.options;
    const { repeat, timezone } = reminder;
    const at = Math.max(now, slot); // a timer may fire a hair early
    const window: PauseWindow | null = await this.options.sender.pauseWindow();
    const heldBack = (s: number) => window !== null && s <= window.end && s + graceMs >= window.start;
    const graceFrom = (s: number) => (window !== null && heldBack(s) ? Math.max(s, window.end) : s);

    let candidate: number | null = slot;
    let next: number | null = null;
    if (repeat) {
      next = nextOccurrence(repeat, timezone, slot);
      if (next <= at) {
        // Later slots came due too (the server was down, or sends were paused): only the latest
        // counts, and only within its grace, which none before `earliest` can still be.
        let earliest = at - graceMs;
        if (window && window.end + graceMs >= at) earliest = Math.min(earliest, window.start - graceMs);
        candidate = latestOccurrenceAtOrBefore(repeat, timezone, at, Math.max(slot, earliest));
        next = nextOccurrence(repeat, timezone, at);
      }
    }
    const missed = { summary: 'missed', detail: `missed: due ${iso(slot)}, older than the misfire grace` };
    if (candidate !== null && graceFrom(candidate) + graceMs >= at) {
      return { sendAt: candidate, next, deadline: graceFrom(candidate) + graceMs, missed };
    }
    if (window && heldBack(slot)) {
      missed.summary = 'missed: held back by a sending pause (45009) longer than the misfire grace';
      missed.detail =
        `missed: due ${iso(slot)}, held back by the sending pause (45009) that ended ` +
        `${iso(window.end)}, and older than the misfire grace counted from the end of the pause`;
    }
    return { sendAt: null, next, deadline: at, missed };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
