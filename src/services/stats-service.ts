import { REMINDER_STATUSES, type ReminderStatus } from '../domain/reminder';
import { utcDay } from '../delivery/outcome';
import type { StatsStore } from '../store/stats-store';

export interface StatsServiceDeps {
  store: Pick<StatsStore, 'shards' | 'newestSeqs' | 'reminderId' | 'statuses' | 'sendCounters'>;
  now: () => number;
  countLimit?: number; // most reminder records read per request, default 100,000
  batchSize?: number; // status reads per pipeline, default 1,000
}

export interface SendStats {
  /**
   * `YYYY-MM-DD` (UTC) → result (`sent`, `failed`, `no_quota`, `rate_limited`, `missed`) → count,
   * newest day first. `rate_limited`: the user had reached USER_DAILY_SEND_LIMIT (counted per day
   * in DEFAULT_TIMEZONE, while these days are UTC days).
   */
  byDay: Record<string, Record<string, number>>;
  /** result → count over the days shown. */
  total: Record<string, number>;
}

export interface AdminStats {
  reminders: {
    byStatus: Record<ReminderStatus, number>;
    /** Records read; less than the ids handed out when `truncated`. */
    counted: number;
    /** True when more than `countLimit` reminders exist: the counts cover the newest ones only. */
    truncated: boolean;
  };
  sends: SendStats;
  /** Occurrences recorded `no_quota` (ledger empty, or WeChat's 43101), per day and in total. */
  quotaMisses: { total: number; byDay: Record<string, number> };
  generatedAt: string;
}

const DAY_MS = 24 * 3600_000;

/**
 * The operator's numbers (GET /api/admin/stats). Send results come from one hash per shard and
 * UTC day, outcome → count, that finish-occurrences.lua increments (confirm-delivery.lua moves one from
 * `sent` to `failed` when WeChat's subscribe_msg_sent_event reports the delivery failed): one
 * pipelined read of `days` × shards hashes, nothing parsed.
 * Reminders by status have no counter yet, so they are counted by walking each shard's reminder
 * ids down from its id sequence (newest first, one pipelined HGET per id), together up to
 * `countLimit`: no SCAN of the
 * keyspace, but O(reminders) — an admin-only call, bounded, and flagged `truncated` past the
 * limit. Per-status counters kept by the Lua scripts would make it O(1).
 */
export class StatsService {
  private readonly countLimit: number;
  private readonly batchSize: number;

  constructor(private readonly deps: StatsServiceDeps) {
    this.countLimit = deps.countLimit ?? 100_000;
    this.batchSize = deps.batchSize ?? 1000;
  }

  /** `days`: how many days of send results to include, today (UTC) included. */
  async stats(days: number): Promise<AdminStats> {
    const [reminders, sends] = await Promise.all([this.remindersByStatus(), this.sends(days)]);
    const byDay: Record<string, number> = {};
    let total = 0;
    for (const [day, results] of Object.entries(sends.byDay)) {
      const misses = results.no_quota ?? 0;
      if (misses === 0) continue;
      byDay[day] = misses;
      total += misses;
    }
    return {
      reminders,
      sends,
      quotaMisses: { total, byDay },
      generatedAt: new Date(this.deps.now()).toISOString(),
    };
  }

  private async remindersByStatus(): Promise<AdminStats['reminders']> {
    const { store } = this.deps;
    const byStatus = Object.fromEntries(REMINDER_STATUSES.map((s) => [s, 0])) as Record<
      ReminderStatus,
      number
    >;
    const newest = await store.newestSeqs();
    const taken = shareOut(newest, this.countLimit);
    let counted = 0;
    let truncated = false;
    for (const [shard, top] of newest.entries()) {
      const oldest = top - (taken[shard] ?? 0) + 1;
      if (oldest > 1) truncated = true;
      for (let high = top; high >= oldest; high -= this.batchSize) {
        const low = Math.max(oldest, high - this.batchSize + 1);
        const ids: string[] = [];
        for (let seq = high; seq >= low; seq -= 1) ids.push(store.reminderId(shard, seq));
        const statuses = await store.statuses(ids);
        for (const status of statuses) {
          if (status === null || !(status in byStatus)) continue; // never created, or not a reminder
          byStatus[status as ReminderStatus] += 1;
          counted += 1;
        }
      }
    }
    return { byStatus, counted, truncated };
  }

  private async sends(days: number): Promise<SendStats> {
    const { store, now } = this.deps;
    const today = Date.parse(utcDay(now()));
    // Newest day first; within a day, outcomes in name order, so the answer reads the same each time.
    const dayNames = Array.from({ length: days }, (_, i) => utcDay(today - i * DAY_MS));
    const counters = await store.sendCounters(dayNames);
    const byDay: Record<string, Record<string, number>> = {};
    const total: Record<string, number> = {};
    for (const [i, day] of dayNames.entries()) {
      const counts = counters[i] ?? {};
      if (Object.keys(counts).length === 0) continue;
      byDay[day] = sortKeys(counts);
      for (const [outcome, count] of Object.entries(counts)) total[outcome] = (total[outcome] ?? 0) + count;
    }
    return { byDay, total: sortKeys(total) };
  }
}

/**
 * How many of each shard's newest ids to read: `limit` shared out as evenly as the shards allow
 * (ids are ordered within a shard only, so "the newest" overall is each shard's newest alike).
 */
function shareOut(tops: readonly number[], limit: number): number[] {
  const taken = tops.map(() => 0);
  let left = limit;
  let open = tops.flatMap((top, shard) => (top > 0 ? [shard] : []));
  while (left > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(left / open.length));
    for (const shard of open) {
      const n = Math.min(share, (tops[shard] ?? 0) - (taken[shard] ?? 0), left);
      taken[shard] = (taken[shard] ?? 0) + n;
      left -= n;
    }
    open = open.filter((shard) => (taken[shard] ?? 0) < (tops[shard] ?? 0));
  }
  return taken;
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
