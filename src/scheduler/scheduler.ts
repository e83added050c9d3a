import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { Keys } from '../store/keys';
import { isCluster, publishChannel, subscribeChannel, type Redis } from '../store/redis';
import type { ReminderStore } from '../store/reminder-store';
import type { Retention } from './retention';
import { ScheduleRegistry, type ReconcileCounts } from './schedule-registry';

export interface SchedulerOptions {
  redis: Redis; // shared command connection (not closed here)
  keys: Keys;
  store: ReminderStore;
  instanceId: string;
  onFire: (id: string, fireAt: number) => void; // the dispatcher
  handedOver?: (id: string, fireAt: number) => boolean; // the dispatcher still holds what it was fired
  logger: Logger;
  now?: () => number;
  horizonMs?: number; // occurrences held as timers, default 15 min
  sweepIntervalMs?: number; // how often the due index is re-read, default 2000
  sliceLimit?: number; // most occurrences read per sweep, default 50,000
  fullSweepEvery?: number; // every how many sweeps one reads the whole horizon, default 15 (the others: the near part)
  onSweep?: (event: { durationMs: number; ok: boolean }) => void; // metrics hook
  retention?: Pick<Retention, 'run'>; // RETENTION_DAYS purge, run from the sweep
  retentionIntervalMs?: number; // least time between two retention runs of this instance, default 2 min
}

const DEFAULT_HORIZON_MS = 15 * 60_000;

// A sweep reads what is overdue when the dispatcher let an occurrence go unrecorded since the
// last such read (its claim refused or failed, a pause: letGo), and the part of the near window
// (due within this many sweep intervals, at least NEAR_MIN_MS) that no read has covered yet (a
// full read counts as far as the near window): each slot is read once as it enters the window,
// seconds before it is due, announced or not (another instance's recurring reminder moving on),
// and not again while events keep it current. After a reconnect (its events lost) the whole near
// window is read again. Every FULL_SWEEP_EVERY-th sweep re-reads the whole horizon, which drops
// timers of reminders changed far ahead while an event was lost (a stale timer's claim finds
// nothing to send meanwhile), and everything overdue. Before, 10,000 reminders due at 08:30 were
// read by every sweep of every instance from 08:29:54 on and during their drain (earlier still,
// every 2 s from 08:15).
const NEAR_SWEEPS = 3;
const NEAR_MIN_MS = 6000;
const FULL_SWEEP_EVERY = 15;

// create-reminder.lua publishes the upsert event itself, spelled out by hand: keep the two alike.
type ScheduleEvent =
  | { op: 'upsert'; id: string; fireAt: number }
  | { op: 'remove'; id: string }
  | { op: 'reload'; replyTo: string };

/** A read of the due index: what it holds, and up to where the read speaks for it. */
interface DueRead {
  wanted: Map<string, number>; // id → fireAt
  last: number; // the range's end, or a truncated read's last score
}

export interface ReloadReply extends ReconcileCounts {
  instance: string;
  held: number;
}

/**
 * Keeps this instance's ScheduleRegistry in step with the `due` index: a sweep loads the next
 * slice (and catches anything a timer missed), and changes made on any instance arrive over
 * pub/sub and touch only their one job.
 */
export class Scheduler {
  readonly registry: ScheduleRegistry;
  private unsubscribe: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<ReconcileCounts | undefined> | undefined;
  private purging: Promise<void> | undefined;
  // performance.now() of the last retention run; the first comes one interval after the start,
  // not in the seconds an instance catches up on what came due while it was down.
  private lastPurge = -Infinity;
  private readonly now: () => number;
  private readonly horizonMs: number;
  private readonly nearMs: number; // what a near sweep reads: the next nearMs of the due index
  private sweeps = 0;
  // The due index up to here has been read since pub/sub (re)connected: a near sweep reads on from
  // it. -Infinity: read the whole near window (at start, after a reconnect).
  private readUntil = -Infinity;
  // Occurrences the dispatcher let go unrecorded (letGo), counted, and how many of them the last
  // successful read of what is overdue had seen: while the two differ, something may be overdue in
  // the index that no timer here will fire. Starts unequal: the first read covers what is overdue.
  private letGos = 1;
  private letGosRead = 0;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.horizonMs = options.horizonMs ?? DEFAULT_HORIZON_MS;
    const nearMs = Math.max(NEAR_SWEEPS * (options.sweepIntervalMs ?? 2000), NEAR_MIN_MS);
    this.nearMs = Math.min(this.horizonMs, nearMs);
    this.registry = new ScheduleRegistry({
      onFire: options.onFire,
      now: this.now,
      ...(options.handedOver ? { handedOver: options.handedOver } : {}),
    });
    // On a cluster the instances listen on a sharded channel, which a script's PUBLISH never
    // reaches: there the caller publishes after the script (publishUpsert).
    this.announcer = isCluster(options.redis)
      ? undefined
      : {
          channel: options.keys.eventsChannel(),
          // As publishUpsert: a scheduler that is not running holds no timers of its own.
          applyHere: (id, fireAt) => {
            if (this.running) this.apply({ op: 'upsert', id, fireAt });
          },
        };
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  get size(): number {
    return this.registry.size;
  }

  async start(): Promise<void> {
    if (this.timer) return;
    // Sharded pub/sub on a cluster, plain otherwise (src/store/redis.ts).
    this.unsubscribe = await subscribeChannel(
      this.options.redis,
      this.options.keys.eventsChannel(),
      (message) => this.onEvent(message),
      () => (this.readUntil = -Infinity), // events published while it was away are lost
    );
    await this.reconcile();
    this.timer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 2000);
    this.timer.unref();
    this.lastPurge = performance.now();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
    await this.purging;
    this.registry.close();
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.();
  }

  /**
   * Diffs the registry against the due index up to `spanMs` from now (start, reload-jobs and every
   * FULL_SWEEP_EVERY-th sweep: the whole horizon; the others read less, reconcileNear).
   */
  async reconcile(spanMs = this.horizonMs): Promise<ReconcileCounts> {
    const letGos = this.letGos;
    const now = this.now();
    const all = await this.read(null, now + spanMs);
    if (all.last >= now) this.letGosRead = letGos; // a read truncated short of now saw not all of it
    // Near sweeps go on from the end of the near window, not of the horizon: a slot written with
    // no event further ahead is read once more as it enters the window, seconds before it is due.
    this.readUntil = Math.min(all.last, now + this.nearMs);
    return this.registry.reconcile(all.wanted, (fireAt) => fireAt <= all.last);
  }

  /**
   * The dispatcher's word that an occurrence it was handed ended unrecorded (someone else's claim,
   * Redis away, a pause): the next sweep reads what is overdue.
   */
  letGo(): void {
    this.letGos += 1;
  }

  /**
   * A near sweep: what is overdue if something may be that no timer here holds, and the near
   * window from where the last read ended. While every occurrence handed over is recorded here
   * (one instance draining a spike), the overdue backlog is not re-read by every sweep.
   */
  private async reconcileNear(): Promise<ReconcileCounts> {
    const now = this.now();
    const end = now + this.nearMs;
    const from = this.readUntil;
    if (from < now) return this.reconcile(this.nearMs);
    const letGos = this.letGos;
    const [overdue, fresh] = await Promise.all([
      letGos !== this.letGosRead ? this.read(null, now) : undefined,
      from < end ? this.read(from, end) : undefined,
    ]);
    if (overdue && overdue.last >= now) this.letGosRead = letGos;
    if (fresh) this.readUntil = Math.max(this.readUntil, fresh.last);
    const wanted = overdue?.wanted ?? fresh?.wanted ?? new Map<string, number>();
    if (overdue && fresh) for (const [id, fireAt] of fresh.wanted) wanted.set(id, fireAt);
    return this.registry.reconcile(
      wanted,
      (fireAt) =>
        (overdue !== undefined && fireAt <= overdue.last) ||
        (fresh !== undefined && fireAt > from && fireAt <= fresh.last),
    );
  }

  /** The due index in (after, until], and how far the read speaks for (a truncated one, less far). */
  private async read(after: number | null, until: number): Promise<DueRead> {
    const limit = this.options.sliceLimit ?? 50_000;
    const slice = await this.options.store.dueBetween(after, until, limit);
    const wanted = new Map(slice.map((e) => [e.id, e.fireAt] as const));
    const last = slice.length === limit ? (slice[slice.length - 1]?.fireAt ?? until) : until;
    return { wanted, last };
  }

  /**
   * For a write script that publishes its own upsert event (create-reminder.lua): the channel to
   * give it, and what this instance does at once with the change the script announced.
   */
  readonly announcer: { channel: string; applyHere(id: string, fireAt: number): void } | undefined;

  /**
   * Whether a change at `fireAt` concerns an instance's timers now: within the horizon. Beyond
   * it, the sweeps load the occurrence as its time nears (the read that first covers a part of the
   * near window, and every FULL_SWEEP_EVERY-th the whole horizon), so a new one needs no event.
   */
  concerns(fireAt: number): boolean {
    return fireAt <= this.now() + this.horizonMs;
  }

  /**
   * Holds a slot this instance itself wrote without an event (a recurring reminder it just
   * recorded, moved on to `fireAt`); other instances read it in their sweeps.
   */
  hold(id: string, fireAt: number): void {
    if (this.running) this.apply({ op: 'upsert', id, fireAt });
  }

  /** Announces a change to every instance (this one included, applied at once). */
  async publishUpsert(id: string, fireAt: number | null): Promise<void> {
    const event: ScheduleEvent = fireAt === null ? { op: 'remove', id } : { op: 'upsert', id, fireAt };
    // A scheduler that is not running (not started, or stopped) holds no timers of its own.
    if (this.running) this.apply(event);
    await publishChannel(this.options.redis, this.options.keys.eventsChannel(), JSON.stringify(event));
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    const started = performance.now();
    const report = (ok: boolean) => this.options.onSweep?.({ durationMs: performance.now() - started, ok });
    // While Redis is away the sweep fails quietly; the timers already held keep firing, and the
    // first sweep after Redis returns picks up every occurrence whose claim failed meanwhile.
    this.sweeps += 1;
    const full = this.sweeps % (this.options.fullSweepEvery ?? FULL_SWEEP_EVERY) === 0;
    this.sweeping = (full ? this.reconcile() : this.reconcileNear()).then(
      (counts) => {
        report(true);
        return counts;
      },
      (err: Error) => {
        report(false);
        this.options.logger.debug({ err: err.message }, 'sweep skipped: redis unavailable');
        return undefined;
      },
    );
    await this.sweeping;
    this.sweeping = undefined;
    this.purge();
  }

  /**
   * Runs the retention purge now and then, beside the sweep rather than in it: a slow purge never
   * delays loading due occurrences, and a failed one waits for its next turn.
   */
  private purge(): void {
    const { retention, logger } = this.options;
    const started = performance.now();
    if (
      !retention ||
      this.purging ||
      started - this.lastPurge < (this.options.retentionIntervalMs ?? 120_000)
    )
      return;
    this.lastPurge = started;
    this.purging = retention
      .run()
      .then(
        ({ examined, purged }) => {
          if (purged > 0) logger.info({ examined, purged }, 'purged reminders older than RETENTION_DAYS');
        },
        (err: Error) => logger.debug({ err: err.message }, 'retention run skipped'),
      )
      .finally(() => (this.purging = undefined));
  }

  private apply(event: Exclude<ScheduleEvent, { op: 'reload' }>): void {
    if (event.op === 'upsert' && event.fireAt <= this.now() + this.horizonMs) {
      this.registry.upsert(event.id, event.fireAt);
    } else {
      // Removed, or moved beyond the horizon: the sweep loads it when its time nears.
      this.registry.remove(event.id);
    }
  }

  private onEvent(message: string): void {
    let event: ScheduleEvent;
    try {
      event = JSON.parse(message) as ScheduleEvent;
    } catch {
      return;
    }
    if (event.op !== 'reload') {
      this.apply(event);
      return;
    }
    void this.reconcile().then(
      (counts) => {
        const reply: ReloadReply = { instance: this.options.instanceId, held: this.registry.size, ...counts };
        return publishChannel(
          this.options.redis,
          this.options.keys.reloadReplyChannel(event.replyTo),
          JSON.stringify(reply),
        );
      },
      (err: Error) => this.options.logger.warn({ err: err.message }, 'reload failed'),
    );
  }
}

/**
 * Asks every running instance to reconcile and collects their answers (scripts/reload-jobs and
 * the admin API). Resolves an empty list when no instance is subscribed.
 */
export async function requestReload(redis: Redis, keys: Keys, timeoutMs = 5000): Promise<ReloadReply[]> {
  const replyTo = randomUUID();
  const replies: ReloadReply[] = [];
  let expected = Infinity;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const unsubscribe = await subscribeChannel(redis, keys.reloadReplyChannel(replyTo), (message) => {
    replies.push(JSON.parse(message) as ReloadReply);
    if (replies.length >= expected) done();
  });
  try {
    const event: ScheduleEvent = { op: 'reload', replyTo };
    expected = await publishChannel(redis, keys.eventsChannel(), JSON.stringify(event));
    if (expected > replies.length) {
      const timer = setTimeout(done, timeoutMs);
      await finished;
      clearTimeout(timer);
    }
  } finally {
    await unsubscribe();
  }
  return replies;
}
