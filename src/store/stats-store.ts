import type { Keys } from './keys';
import type { Redis } from './redis';

/**
 * What the operator's numbers are read from: the per-day send counters (`stats:sends:<day>`,
 * outcome → count, kept by finish-occurrences.lua and confirm-delivery.lua) and the reminders'
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

  /** The send counters of each day given (`YYYY-MM-DD`), outcome → count, in one pipeline. */
  async sendCounters(days: readonly string[]): Promise<Record<string, number>[]> {
    if (days.length === 0) return [];
    const multi = this.redis.multi();
    for (const day of days) multi.hGetAll(this.keys.sendStats(day));
    const hashes = (await multi.execAsPipeline()) as unknown as Record<string, string>[];
    return hashes.map((hash) =>
      Object.fromEntries(Object.entries(hash).map(([outcome, count]) => [outcome, Number(count)])),
    );
  }
}
