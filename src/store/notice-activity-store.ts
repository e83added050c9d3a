import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const recordNoticeActivity = new LuaScript('record-notice-activity');

/**
 * Per-day activity counters of notices (README.md#redis-keys): `notice:{nt<id>}:activity`, a hash
 * `<YYYY-MM-DD>:<kind>` → count under the notice's own hash tag, so a notice's counters sit in its
 * cluster slot and one HGETALL reads a notice's whole window.
 */
export class NoticeActivityStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Adds one to `field`; drops days before `oldestDay` once more than `maxFields` are held. */
  async increment(
    noticeId: string,
    field: string,
    options: { ttlMs: number; oldestDay: string; maxFields: number },
  ): Promise<void> {
    await recordNoticeActivity.run(
      this.redis,
      [this.keys.noticeActivity(noticeId)],
      [field, options.ttlMs, options.oldestDay, options.maxFields],
    );
  }

  /** Each notice's counters, in the order given, in one pipeline. */
  async counters(noticeIds: readonly string[]): Promise<Record<string, string>[]> {
    if (noticeIds.length === 0) return [];
    const multi = this.redis.multi();
    for (const id of noticeIds) multi.hGetAll(this.keys.noticeActivity(id));
    return (await multi.execAsPipeline()) as unknown as Record<string, string>[];
  }

  /** Forgets a notice's counters (it was retracted). */
  async remove(noticeId: string): Promise<void> {
    await this.redis.del(this.keys.noticeActivity(noticeId));
  }
}
