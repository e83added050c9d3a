import type { Keys } from './keys';
import { NOTIFICATION_SHARDS } from './notification-store';
import type { Redis } from './redis';
import { allShards } from './shards';

/**
 * What the operator's numbers are read from: the per-day send counters of every shard
 * (`stats:{u<shard>}:sends:<day>`, outcome → count, kept by finish-occurrences.lua and
 * confirm-delivery.lua; `stats:{n<shard>}:sends:<day>`, by finish-notifications.lua) and the
 * reminders' statuses by id.
 */
export class StatsStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** How many shards the reminder ids are spread over (DUE_SHARDS). */
  get shards(): number {
    return this.keys.dueShards;
  }

  /** Per shard, the `seq` of its last reminder id handed out (0 when none was). */
  async newestSeqs(): Promise<number[]> {
    const seqs = await Promise.all(
      allShards(this.keys.dueShards).map((shard) => this.redis.get(this.keys.reminderShardSeq(shard))),
    );
    return seqs.map((seq) => Number(seq ?? 0));
  }

  /** The id of the `seq`-th reminder of `shard`. */
  reminderId(shard: number, seq: number): string {
    return this.keys.reminderId(shard, seq);
  }

  /** The status of each reminder id, in the order given (null: no such reminder), sent together. */
  async statuses(ids: readonly string[]): Promise<(string | null)[]> {
    return Promise.all(ids.map((id) => this.redis.hGet(this.keys.reminder(id), 'status')));
  }

  /**
   * The send counters of each day given (`YYYY-MM-DD`), outcome → count, in one pipeline: the
   * reminders' hash of the day plus the notifications' hash of each shard (finish-notifications.lua).
   */
  async sendCounters(days: readonly string[]): Promise<Record<string, number>[]> {
    if (days.length === 0) return [];
    const reads: Promise<Record<string, string>>[] = [];
    for (const day of days) {
      for (let shard = 0; shard < this.keys.dueShards; shard++)
        reads.push(this.redis.hGetAll(this.keys.sendStats(shard, day)));
      for (let shard = 0; shard < NOTIFICATION_SHARDS; shard++)
        reads.push(this.redis.hGetAll(this.keys.notificationStats(shard, day)));
    }
    const perDay = this.keys.dueShards + NOTIFICATION_SHARDS;
    const hashes = await Promise.all(reads);
    return days.map((_, d) => {
      const counts: Record<string, number> = {};
      for (const hash of hashes.slice(d * perDay, (d + 1) * perDay)) {
        for (const [outcome, count] of Object.entries(hash))
          counts[outcome] = (counts[outcome] ?? 0) + Number(count);
      }
      return counts;
    });
  }
}
