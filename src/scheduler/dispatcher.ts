import { randomUUID } from 'node:crypto';
import { occurrenceId, type LastResult, type Reminder } from '../domain/reminder';
import type { Logger } from '../logger';
import type { ReminderStore } from '../store/reminder-store';
import type { MessageSender, SendOutcome } from '../wechat/message-sender';
import { latestOccurrenceAtOrBefore, nextOccurrence } from './recurrence';

export interface DispatcherOptions {
  store: ReminderStore;
  sender: Pick<MessageSender, 'deliver' | 'isPaused'>;
  logger: Logger;
  instanceId: string;
  concurrency: number; // in-flight occurrences per instance (SEND_CONCURRENCY)
  graceMs: number; // MISFIRE_GRACE_SECONDS in ms
  leaseMs?: number; // claim lease, default 30 s
  now?: () => number;
  onOutcome?: (event: { status: string; errcode: number | null; latenessMs: number }) => void; // metrics
}

/**
 * Turns a timer's hint into at most one send: re-read and claim the occurrence in Redis, decide
 * between sending, coalescing and recording a miss, deliver, and finish with a compare-and-set on
 * the claim. No lock is held across the WeChat call other than the claim's lease, which is renewed
 * between retries; a claim whose instance died is taken over once its lease runs out.
 */
export class Dispatcher {
  private readonly inFlight = new Set<string>();
  private readonly queue: (() => void)[] = [];
  private active = 0;
  private accepting = true;
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
    this.queue.push(() => {
      void this.process(id, slot)
        .catch((err: Error) =>
          // Redis lost mid-way: the claim's lease runs out and the sweep retries the occurrence.
          this.options.logger.warn(
            { occurrence, err: err.message },
            'occurrence not finished; it will be retried',
          ),
        )
        .finally(() => {
          this.inFlight.delete(occurrence);
          this.active -= 1;
          this.pump();
        });
    });
    this.pump();
  };

  /** Stops taking new occurrences and waits up to `timeoutMs` for those in flight. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    // Queued but not started: forget them; their due entries stay, so another instance takes them.
    for (const run of this.queue.splice(0)) void run;
    for (const occurrence of [...this.inFlight]) if (this.active === 0) this.inFlight.delete(occurrence);
    if (this.active === 0) return true;
    const done = new Promise<boolean>((resolve) => (this.idle = () => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
    return Promise.race([done, timeout]);
  }

  private pump(): void {
    while (this.active < this.options.concurrency && this.queue.length > 0) {
      const run = this.queue.shift();
      this.active += 1;
      run?.();
    }
    if (this.active === 0 && this.queue.length === 0) this.idle?.();
  }

  private async process(id: string, slot: number): Promise<void> {
    const { store, sender } = this.options;
    if (!this.accepting || (await sender.isPaused())) return;
    const claim = await store.claim(id, slot, this.owner, this.leaseMs);
    if (!claim.ok) return;
    const reminder = claim.reminder;
    const now = this.now();
    const { sendAt, next } = this.plan(reminder, slot, now);
    const occurrence = occurrenceId(id, slot);

    let outcome: SendOutcome | { status: 'missed' };
    if (sendAt === null) {
      outcome = { status: 'missed' };
      await store.appendDelivery(id, {
        occurrence,
        attempt: 1,
        at: new Date(now).toISOString(),
        latencyMs: 0,
        errcode: null,
        errmsg: `missed: due ${new Date(slot).toISOString()}, older than the misfire grace`,
        msgid: null,
        result: 'missed',
      });
    } else {
      outcome = await sender.deliver(reminder, occurrence, sendAt, sendAt + this.options.graceMs, {
        onAttempt: (attempt) => store.appendDelivery(id, attempt),
        keepClaim: () => store.extendClaim(id, slot, this.owner, this.leaseMs),
      });
    }
    if (outcome.status === 'paused') {
      // WeChat's daily quota: give the occurrence back untouched; it is retried when sends resume.
      await store.releaseClaim(id, slot, this.owner);
      return;
    }
    const finishedAt = this.now();
    const lastResult: LastResult =
      outcome.status === 'missed'
        ? { at: new Date(finishedAt).toISOString(), errcode: null, errmsg: 'missed', msgid: null }
        : {
            at: new Date(finishedAt).toISOString(),
            errcode: outcome.errcode,
            errmsg: outcome.errmsg,
            msgid: outcome.msgid,
          };
    const result = await store.finish({
      id,
      openid: reminder.openid,
      slot,
      owner: this.owner,
      status: outcome.status,
      lastResult,
      nextSlot: next,
      now: finishedAt,
      statsField: `${new Date(finishedAt).toISOString().slice(0, 10)}:${outcome.status}`,
      msgid: outcome.status === 'missed' ? null : outcome.msgid,
    });
    if (result === 'lost') {
      this.options.logger.warn({ occurrence }, 'claim lost before the outcome was recorded (lease ran out)');
    }
    this.options.onOutcome?.({
      status: outcome.status,
      errcode: outcome.status === 'missed' ? null : outcome.errcode,
      latenessMs: finishedAt - (sendAt ?? slot),
    });
  }

  /**
   * Which instant to announce (null: record a miss) and where a recurring reminder goes next.
   * A one-shot older than the grace is missed. A recurring reminder whose slot is older than the
   * grace sends at most its latest occurrence still within the grace (coalescing) and moves on
   * to its next future slot, computed from slots, never from "now", so the schedule cannot drift.
   */
  private plan(
    reminder: Reminder,
    slot: number,
    now: number,
  ): { sendAt: number | null; next: number | null } {
    const { graceMs } = this.options;
    if (!reminder.repeat) return { sendAt: now - slot <= graceMs ? slot : null, next: null };
    if (now - slot <= graceMs)
      return { sendAt: slot, next: nextOccurrence(reminder.repeat, reminder.timezone, slot) };
    const latest = latestOccurrenceAtOrBefore(reminder.repeat, reminder.timezone, now, now - graceMs);
    const from = latest ?? now;
    let next = nextOccurrence(reminder.repeat, reminder.timezone, from);
    if (next <= now) next = nextOccurrence(reminder.repeat, reminder.timezone, now);
    return { sendAt: latest, next };
  }
}
