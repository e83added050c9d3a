import { randomUUID } from 'node:crypto';
import { occurrenceId, type DeliveryAttempt, type LastResult } from '../domain/reminder';
import type { Logger } from '../logger';
import { isRedisUnavailable } from '../store/redis';
import type { MessageSender, SendOutcome } from '../wechat/message-sender';
import type { OccurrenceKind } from './occurrence-kind';
import type { Outcome } from './outcome';
import { planOccurrence } from './plan';

/** One finished occurrence, as the pipeline reports it to the metrics. */
export interface OutcomeEvent {
  kind: string;
  status: Outcome;
  errcode: number | null;
  latenessMs: number; // send time − scheduled time
}

export interface PipelineOptions {
  kinds: OccurrenceKind<unknown>[]; // the first is the one `fire` (the scheduler's onFire) submits to
  sender: Pick<MessageSender, 'deliver' | 'isPaused' | 'pauseWindow'>;
  logger: Logger;
  instanceId: string;
  concurrency: number; // in-flight occurrences per instance (SEND_CONCURRENCY)
  graceMs: number; // MISFIRE_GRACE_SECONDS in ms
  leaseMs?: number; // claim lease, default 30 s
  now?: () => number;
  onOutcome?: (event: OutcomeEvent) => void; // metrics
  onRedisError?: () => void; // metrics: an occurrence met Redis unavailable
}

/** How a graceful stop ended: every send finished, or the wait ran out and claims were given back. */
export interface DrainResult {
  finished: boolean; // all in-flight occurrences finished within the wait
  released: number; // claims given back because their occurrence had not finished
}

interface HeldClaim {
  kind: OccurrenceKind<unknown>;
  id: string;
  slot: number;
  leaseUntil: number; // our clock's view of when the claim's lease runs out
}

/**
 * "Send one message", for every kind of occurrence: turns a hint (a timer, a submit) into at most
 * one send. Claim the occurrence in Redis, plan (send, coalesce or record a miss), deliver, and
 * record with a compare-and-set on the claim. No lock is held across the WeChat call other than
 * the claim's lease, renewed between retries; a claim whose instance died is taken over once its
 * lease runs out. What each WeChat answer leads to is src/delivery/send-policy.ts.
 */
export class DeliveryPipeline {
  private readonly kinds = new Map<string, OccurrenceKind<unknown>>();
  private readonly first: string;
  private readonly inFlight = new Set<string>();
  private readonly queue: { key: string; run: () => void }[] = [];
  // Claims this instance holds right now, so a stop that cannot wait for them gives them back.
  private readonly held = new Map<string, HeldClaim>();
  private active = 0;
  private accepting = true;
  private abandoned = false; // the drain's wait ran out: held claims were released
  private readonly owner: string;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private idle: (() => void) | undefined;

  constructor(private readonly options: PipelineOptions) {
    this.owner = `${options.instanceId}:${randomUUID()}`;
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? 30_000;
    for (const kind of options.kinds) this.register(kind);
    this.first = options.kinds[0]?.name ?? '';
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** Adds a kind of occurrence; its name must be new. */
  register(kind: OccurrenceKind<unknown>): void {
    if (this.kinds.has(kind.name)) throw new Error(`occurrence kind ${kind.name} is registered already`);
    this.kinds.set(kind.name, kind);
  }

  /** The scheduler's onFire: an occurrence of the first kind (reminders). */
  fire = (id: string, slot: number): void => this.submit(this.first, id, slot);

  /** Queues the occurrence `<id>:<slot>` of `kindName` unless it is already queued here. */
  submit(kindName: string, id: string, slot: number): void {
    const kind = this.kinds.get(kindName);
    if (!kind) throw new Error(`unknown occurrence kind ${kindName}`);
    const occurrence = occurrenceId(id, slot);
    const key = `${kindName}|${occurrence}`;
    if (!this.accepting || this.inFlight.has(key)) return;
    this.inFlight.add(key);
    const run = () => {
      void this.process(kind, id, slot, key)
        .catch((err: Error) => {
          if (isRedisUnavailable(err)) this.options.onRedisError?.();
          // Redis lost mid-way: the claim is released or runs out, and the sweep retries the occurrence.
          this.options.logger.warn(
            { kind: kindName, occurrence, err: err.message },
            'occurrence not finished; it will be retried',
          );
        })
        .finally(() => {
          this.inFlight.delete(key);
          this.active -= 1;
          this.pump();
        });
    };
    this.queue.push({ key, run });
    this.pump();
  }

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
    for (const { key } of this.queue.splice(0)) this.inFlight.delete(key);
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
      claims.map((c) => c.kind.releaseClaim(c.id, c.slot, this.owner)),
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

  private async process(kind: OccurrenceKind<unknown>, id: string, slot: number, key: string): Promise<void> {
    if (!this.accepting || (await this.options.sender.isPaused())) return;
    const item = await kind.claim(id, slot, this.owner, this.leaseMs);
    if (item === null) return;
    if (!this.accepting) {
      // Claimed while the stop began: hand it straight back rather than start a send.
      await kind.releaseClaim(id, slot, this.owner);
      return;
    }
    const held: HeldClaim = { kind, id, slot, leaseUntil: this.now() + this.leaseMs };
    this.held.set(key, held);
    try {
      await this.send(kind, item, held);
    } finally {
      if (this.held.get(key) === held) this.held.delete(key);
    }
  }

  private async send(kind: OccurrenceKind<unknown>, item: unknown, held: HeldClaim): Promise<void> {
    const { sender, graceMs } = this.options;
    const { id, slot } = held;
    const occurrence = occurrenceId(id, slot);
    const now = this.now();
    const { sendAt, next, deadline, missed } = planOccurrence({
      slot,
      now,
      graceMs,
      window: await sender.pauseWindow(),
      nextSlot: (after) => kind.nextSlot(item, after),
      latestSlot: (at, notBefore) => kind.latestSlot(item, at, notBefore),
    });
    // Attempts that could not be written while Redis was away; written before the outcome.
    const unwritten: DeliveryAttempt[] = [];

    let outcome: SendOutcome | { status: 'missed' };
    if (sendAt === null) {
      outcome = { status: 'missed' };
      await kind.recordAttempt(id, {
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
      outcome = await sender.deliver(kind.render(item, sendAt), occurrence, deadline, {
        onAttempt: async (attempt) => {
          try {
            await kind.recordAttempt(id, attempt);
          } catch (err) {
            if (!isRedisUnavailable(err)) throw err;
            unwritten.push(attempt);
          }
        },
        keepClaim: async () => {
          if (this.abandoned) return false;
          const kept = await kind.extendClaim(id, slot, this.owner, this.leaseMs);
          if (kept) held.leaseUntil = this.now() + this.leaseMs;
          return kept;
        },
      });
    }
    if (outcome.status === 'paused') {
      // WeChat's daily quota: give the occurrence back untouched; it is retried when sends resume.
      await kind.releaseClaim(id, slot, this.owner);
      return;
    }
    if (outcome.status === 'lost') return; // its new holder records the outcome
    const status: Outcome = outcome.status;
    const finishedAt = this.now();
    const recorded =
      outcome.status === 'missed' ? { errcode: null, errmsg: missed.summary, msgid: null } : outcome;
    const lastResult: LastResult = {
      at: new Date(finishedAt).toISOString(),
      errcode: recorded.errcode,
      errmsg: recorded.errmsg,
      msgid: recorded.msgid,
    };
    for (const attempt of unwritten) await this.whileClaimed(held, () => kind.recordAttempt(id, attempt));
    const result = await this.whileClaimed(held, () =>
      kind.record(id, item, {
        slot,
        owner: this.owner,
        outcome: status,
        lastResult,
        nextSlot: next,
        now: finishedAt,
        msgid: recorded.msgid,
      }),
    );
    if (result === 'lost') {
      this.options.logger.warn(
        { kind: kind.name, occurrence, status },
        this.abandoned
          ? 'outcome not recorded: the claim was given back when the stop stopped waiting'
          : 'claim lost before the outcome was recorded (lease ran out)',
      );
    }
    this.options.onOutcome?.({
      kind: kind.name,
      status,
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
}
