import schedule, { type Job } from 'node-schedule';
import type { Keys } from '../../src/store/keys';
import type { Redis } from '../../src/store/redis';

/**
 * The seed's scheduling design, kept only as the scale benchmark's baseline: every write cancels
 * every node-schedule job and re-creates one per pending reminder read back from Redis (here the
 * cheapest possible read: ids and times from the due index). It plugs into ReminderService where
 * the Scheduler goes, so a create pays for a full rebuild.
 */
export class SeedScheduler {
  private jobs: Job[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The seed rebuilt its jobs on every change, wherever it was due. */
  concerns(_fireAt: number): boolean {
    return true;
  }

  async publishUpsert(_id: string, _fireAt: number | null): Promise<void> {
    await this.rebuild();
  }

  async rebuild(): Promise<void> {
    for (const job of this.jobs) job.cancel();
    const pending = (
      await Promise.all(
        Array.from({ length: this.keys.dueShards }, (_, shard) =>
          this.redis.zRangeWithScores(this.keys.due(shard), 0, -1),
        ),
      )
    ).flat();
    const now = Date.now();
    this.jobs = [];
    for (const { score } of pending) {
      if (score <= now) continue;
      const job = schedule.scheduleJob(new Date(score), () => undefined);
      if (job) this.jobs.push(job);
    }
  }

  get size(): number {
    return this.jobs.length;
  }

  close(): void {
    for (const job of this.jobs) job.cancel();
    this.jobs = [];
  }
}
