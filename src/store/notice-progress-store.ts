import type { Keys } from './keys';
import type { Redis } from './redis';

/** The states a notice's progress series counts, in the order a recipient usually reaches them. */
export const PROGRESS_STATES = ['sent', 'delivered', 'failed', 'read', 'confirmed'] as const;
export type ProgressState = (typeof PROGRESS_STATES)[number];

export const BUCKET_MS = 60_000; // one bucket per minute

/** One minute of a notice's progress: how many recipients reached each state in it. */
export interface ProgressBucket extends Record<ProgressState, number> {
  at: number; // the minute's start (ms)
}

const isState = (s: string): s is ProgressState => (PROGRESS_STATES as readonly string[]).includes(s);

/**
 * A notice's progress as a time series (README.md#redis-keys): one hash per notice under its hash
 * tag `{nt<id>}`, a counter per minute and state. Each step is one MULTI on that one key (HINCRBY
 * and the expiry), so it is cluster-safe; the counters only grow.
 */
export class NoticeProgressStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Counts `count` recipients reaching `state` at `at` (ms); the series expires at `expireAt` (ms). */
  async add(noticeId: string, state: ProgressState, at: number, expireAt: number, count = 1): Promise<void> {
    const key = this.keys.noticeProgress(noticeId);
    const minute = Math.floor(at / BUCKET_MS) * BUCKET_MS;
    await this.redis
      .multi()
      .hIncrBy(key, `${minute}:${state}`, count)
      .pExpireAt(key, expireAt, 'GT')
      .pExpireAt(key, expireAt, 'NX')
      .exec();
  }

  /** The notice's buckets, oldest first (minutes without a change are left out). */
  async series(noticeId: string): Promise<ProgressBucket[]> {
    const hash = await this.redis.hGetAll(this.keys.noticeProgress(noticeId));
    const buckets = new Map<number, ProgressBucket>();
    for (const [field, value] of Object.entries(hash)) {
      const [minute, state] = field.split(':');
      const at = Number(minute);
      if (!state || !isState(state) || !Number.isFinite(at)) continue;
      let bucket = buckets.get(at);
      if (!bucket) {
        bucket = { at, sent: 0, delivered: 0, failed: 0, read: 0, confirmed: 0 };
        buckets.set(at, bucket);
      }
      bucket[state] += Number(value);
    }
    return [...buckets.values()].sort((a, b) => a.at - b.at);
  }
}
