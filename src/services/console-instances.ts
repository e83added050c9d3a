import { hostname } from 'node:os';
import type { Logger } from '../logger';
import type { ConsoleInstanceStore, InstanceBeat } from '../store/console-instance-store';

export const BEAT_INTERVAL_MS = 5_000;
/** A beat older than this means the instance is gone (it missed several beats). */
export const BEAT_STALE_MS = 30_000;

export interface InstanceBeatsDeps {
  store: ConsoleInstanceStore;
  instanceId: string;
  version: string;
  startedAt: number; // ms
  scheduler: { readonly running: boolean; readonly size: number };
  sendsInFlight: () => number;
  logger: Logger;
  now: () => number;
  intervalMs?: number; // between beats, default BEAT_INTERVAL_MS
}

/**
 * The operator's list of running instances (console "health and instances"): every instance
 * writes a beat (jobs held, sends in flight) every few seconds while it runs and removes it when
 * it stops; readers drop beats older than BEAT_STALE_MS (an instance that died without stopping).
 */
export class InstanceBeats {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: InstanceBeatsDeps) {}

  start(): void {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.deps.intervalMs ?? BEAT_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.deps.store.remove(this.deps.instanceId).catch(() => undefined);
  }

  /** The instances seen lately, oldest start first; this one's beat is fresh. */
  async list(): Promise<InstanceBeat[]> {
    await this.beat();
    return this.deps.store.list(this.deps.now() - BEAT_STALE_MS);
  }

  private async beat(): Promise<void> {
    const { store, instanceId, version, startedAt, scheduler, sendsInFlight, now } = this.deps;
    try {
      await store.beat({
        id: instanceId,
        version,
        pid: process.pid,
        host: hostname(),
        startedAt,
        seenAt: now(),
        jobsHeld: scheduler.size,
        sendsInFlight: sendsInFlight(),
        scheduler: scheduler.running ? 'running' : 'stopped',
      });
    } catch (err) {
      // Redis is down: health says so; the list just misses this beat.
      this.deps.logger.debug({ err: (err as Error).message }, 'instance beat not written');
    }
  }
}
