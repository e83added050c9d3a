import type { Keys } from './keys';
import { NOTIFICATION_SHARDS } from './notification-store';
import type { Redis } from './redis';

/**
 * What the operator's numbers are read from: the per-day send counters (`stats:sends:<day>`,
 * outcome → count, kept by finish-occurrences.lua, confirm-delivery.lua and, per shard,
 * finish-notifications.lua) and the reminders'
 * statuses by id.
 */
export class StatsStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The last reminder id handed out; 0 when none was. */
  async newestReminderId(): Promise<number> {
    return Number((await this.redis.get(this.keys.reminderSeq())) ?? 0);
  }

  /** The status of each reminder id, in the order given (null: no such reminder), in one pipeline. */
  async statuses(ids: readonly number[]): Promise<(string | null)[]> {
    if (ids.length === 0) return [];
    const multi = this.redis.multi();
    for (const id of ids) multi.hGet(this.keys.reminder(String(id)), 'status');
    return (await multi.execAsPipeline()) as unknown as (string | null)[];
  }

  /**
   * The send counters of each day given (`YYYY-MM-DD`), outcome → count, in one pipeline: the
   * reminders' hash of the day plus the notifications' hash of each shard (finish-notifications.lua).
   */
  async sendCounters(days: readonly string[]): Promise<Record<string, number>[]> {
    if (days.length === 0) return [];
    const perDay = 1 + NOTIFICATION_SHARDS;
    const multi = this.redis.multi();
    for (const day of days) {
      multi.hGetAll(this.keys.sendStats(day));
      for (let shard = 0; shard < NOTIFICATION_SHARDS; shard++)
        multi.hGetAll(this.keys.notificationStats(shard, day));
    }
    const hashes = (await multi.execAsPipeline()) as unknown as Record<string, string>[];
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
