import type { NoticeActivityStore } from '../store/notice-activity-store';

export type ActivityKind = 'read' | 'confirm' | 'comment';

export const ACTIVITY_KINDS: readonly ActivityKind[] = ['read', 'confirm', 'comment'];

/** Days of activity "hot" counts: today (UTC) and the six before it. */
export const HOT_WINDOW_DAYS = 7;

/**
 * What one event weighs in the hot score: a confirm or a comment says more about a notice than
 * opening it does (a comment costs the most effort, so it weighs the most).
 */
export const HOT_WEIGHTS: Readonly<Record<ActivityKind, number>> = { read: 1, confirm: 2, comment: 3 };

const DAY_MS = 86_400_000;

export type ActivityCounts = Record<ActivityKind, number>;

function isoDay(dayIndex: number): string {
  return new Date(dayIndex * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Reads, confirms and comments of each notice per UTC day, kept for the 7-day window of the
 * "hot" ranking (`GET /api/notices?sort=hot`). Counters live in Redis only, so every instance
 * counts into and ranks from the same numbers; a day's counters leave with the window.
 */
export class NoticeActivity {
  constructor(
    private readonly deps: {
      store: NoticeActivityStore;
      now: () => number;
    },
  ) {}

  /** Counts one event of `kind` on the notice at `atMs`; an event already outside the window is dropped. */
  async record(noticeId: string, kind: ActivityKind, atMs: number): Promise<void> {
    const day = Math.floor(atMs / DAY_MS);
    const oldest = this.oldestDay();
    if (day < oldest) return;
    await this.deps.store.increment(noticeId, `${isoDay(day)}:${kind}`, {
      // Until the event's day leaves the window: the hash outlives no day it holds.
      ttlMs: Math.max(1, (day + HOT_WINDOW_DAYS) * DAY_MS - this.deps.now()),
      oldestDay: isoDay(oldest),
      maxFields: HOT_WINDOW_DAYS * ACTIVITY_KINDS.length,
    });
  }

  /** Counts what a receipt did for the first time (NoticeInbox: a first read, a first confirm). */
  async receipt(
    noticeId: string,
    marked: { read: boolean; confirmed: boolean },
    atMs: number,
  ): Promise<void> {
    await Promise.all([
      marked.read ? this.record(noticeId, 'read', atMs) : null,
      marked.confirmed ? this.record(noticeId, 'confirm', atMs) : null,
    ]);
  }

  /** Each notice's events of the window by kind, in the order given. */
  async counts(noticeIds: readonly string[]): Promise<ActivityCounts[]> {
    const oldest = isoDay(this.oldestDay());
    const hashes = await this.deps.store.counters(noticeIds);
    return hashes.map((hash) => {
      const counts: ActivityCounts = { read: 0, confirm: 0, comment: 0 };
      for (const [field, value] of Object.entries(hash)) {
        const kind = field.slice(11) as ActivityKind;
        if (field.slice(0, 10) >= oldest && kind in counts) counts[kind] += Number(value);
      }
      return counts;
    });
  }

  /** Each notice's hot score (the window's events, weighted by HOT_WEIGHTS), in the order given. */
  async scores(noticeIds: readonly string[]): Promise<number[]> {
    return (await this.counts(noticeIds)).map(hotScore);
  }

  /** Forgets a notice's counters (it was retracted). */
  forget(noticeId: string): Promise<void> {
    return this.deps.store.remove(noticeId);
  }

  private oldestDay(): number {
    return Math.floor(this.deps.now() / DAY_MS) - (HOT_WINDOW_DAYS - 1);
  }
}

export function hotScore(counts: ActivityCounts): number {
  return ACTIVITY_KINDS.reduce((sum, kind) => sum + counts[kind] * HOT_WEIGHTS[kind], 0);
}
