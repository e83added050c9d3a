import {
  dailyTime,
  dayOf,
  daysEndingWith,
  HISTORY_DAYS,
  remindedOf,
  type DayVerdict,
  type PromiseRecord,
} from '../domain/promise';
import { promiseNotFound } from '../errors';
import { nextOccurrence } from '../scheduler/recurrence';
import type { PromiseStore } from '../store/promise-store';

/** A promise as one of its parties sees it now: the record, today in its zone and its recent days. */
export interface PromiseSnapshot {
  record: PromiseRecord;
  viewer: string; // the caller's openid (author or counterpart)
  today: string; // YYYY-MM-DD in the promise's zone
  shownDays: readonly string[]; // the last HISTORY_DAYS days it lasted (from its first day), oldest first
  days: ReadonlyMap<string, DayVerdict>; // their verdicts
  authorName: string | null; // the author's profile name, when one is set
  nextFireAt: number | null; // the keeper's next reminder; null while nobody is reminded
}

/** Reading promises: only their two parties see them (anyone else gets the 404 of a missing one). */
export class PromiseReader {
  constructor(
    private readonly store: PromiseStore,
    private readonly now: () => number,
  ) {}

  /** The promise if the caller is one of its parties, else 404. */
  async visible(openid: string, id: string): Promise<PromiseRecord> {
    const record = /^\d{1,15}$/.test(id) ? await this.store.get(id) : null;
    if (!record || (record.author !== openid && record.counterpart !== openid)) throw promiseNotFound();
    return record;
  }

  async get(openid: string, id: string): Promise<PromiseSnapshot> {
    return this.snapshot(await this.visible(openid, id), openid);
  }

  /** The caller's promises as author or counterpart, newest first. */
  async list(
    openid: string,
    query: { cursor?: string; limit: number },
  ): Promise<{ items: PromiseSnapshot[]; nextCursor: string | null }> {
    const ids = await this.store.listIds(openid, query.cursor, query.limit);
    const records = await this.store.getMany(ids);
    const items = await Promise.all(
      records
        .filter((r): r is PromiseRecord => r !== null && (r.author === openid || r.counterpart === openid))
        .map((r) => this.snapshot(r, openid)),
    );
    return { items, nextCursor: ids.length === query.limit ? (ids[ids.length - 1] ?? null) : null };
  }

  async snapshot(record: PromiseRecord, viewer: string): Promise<PromiseSnapshot> {
    const now = this.now();
    const today = dayOf(now, record.timezone);
    const start = record.startDay;
    // An ended promise shows the days it lasted.
    const ended = record.endedAt === null ? null : dayOf(record.endedAt, record.timezone);
    const last = ended !== null && ended < today ? ended : today;
    const shown = start ? daysEndingWith(last, HISTORY_DAYS).filter((day) => day >= start) : [];
    const [days, authorName] = await Promise.all([
      this.store.days(record.id, shown),
      this.store.profileName(record.author),
    ]);
    const daily = dailyTime(record.hour, record.min);
    const nextFireAt =
      remindedOf(record) !== null && record.reminderId
        ? nextOccurrence({ daily }, record.timezone, now)
        : null;
    return { record, viewer, today, shownDays: shown, days, authorName, nextFireAt };
  }
}
