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

// Most sweeps re-read only the near part of the due index (what is due within this many sweep
// intervals, and at least NEAR_MIN_MS): each occurrence still enters the registry well before it is
// due, whatever pub/sub missed. Every FULL_SWEEP_EVERY-th sweep re-reads the whole horizon, which
// drops timers of reminders changed far ahead while an event was lost (a stale timer's claim finds
// nothing to send meanwhile). Before, every sweep read the whole horizon: 10,000 reminders due at
// 08:30 were read in full every 2 s from 08:15 on, by every instance.
const NEAR_SWEEPS = 3;
const NEAR_MIN_MS = 6000;
const FULL_SWEEP_EVERY = 15;

// create-reminder.lua publishes the upsert event itself, spelled out by hand: keep the two alike.
type ScheduleEvent =
  | { op: 'upsert'; id: string; fireAt: number }
  | { op: 'remove'; id: string }
  | { op: 'reload'; replyTo: string };

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
  private lastPurge = -Infinity; // performance.now() of the last retention run
  private readonly now: () => number;
  private readonly horizonMs: number;
  private readonly nearMs: number; // what a near sweep reads: the next nearMs of the due index
  private sweeps = 0;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.horizonMs = options.horizonMs ?? 15 * 60_000;
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
    );
    await this.reconcile();
    this.timer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 2000);
    this.timer.unref();
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
   * Diffs the registry against the due index up to `spanMs` from now (start and reload-jobs: the
   * whole horizon; a sweep: the near part, or the whole horizon every FULL_SWEEP_EVERY-th time).
   */
  async reconcile(spanMs = this.horizonMs): Promise<ReconcileCounts> {
    const limit = this.options.sliceLimit ?? 50_000;
    const windowEnd = this.now() + spanMs;
    const slice = await this.options.store.dueSlice(windowEnd, limit);
    const wanted = new Map(slice.map((e) => [e.id, e.fireAt] as const));
    // A truncated slice only speaks for the range it covers.
    const last = slice.length === limit ? (slice[slice.length - 1]?.fireAt ?? windowEnd) : windowEnd;
    return this.registry.reconcile(wanted, (fireAt) => fireAt <= last);
  }

  /**
   * For a write script that publishes its own upsert event (create-reminder.lua): the channel to
   * give it, and what this instance does at once with the change the script announced.
   */
  readonly announcer: { channel: string; applyHere(id: string, fireAt: number): void } | undefined;

  /**
   * Whether a change at `fireAt` concerns an instance's timers now: within the horizon. Beyond
   * it, a sweep loads the occurrence as its time nears (every sweep reads at least NEAR_SWEEPS
   * intervals ahead, the whole horizon every FULL_SWEEP_EVERY-th), so a new one needs no event.
   */
  concerns(fireAt: number): boolean {
    return fireAt <= this.now() + this.horizonMs;
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
    const span = full ? this.horizonMs : this.nearMs;
    this.sweeping = this.reconcile(span).then(
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
