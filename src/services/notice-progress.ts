import type { Outcome } from '../delivery/outcome';
import type { Notice } from '../domain/notice';
import type { Logger } from '../logger';
import {
  BUCKET_MS,
  PROGRESS_STATES,
  type NoticeProgressStore,
  type ProgressBucket,
  type ProgressState,
} from '../store/notice-progress-store';
import type { NoticeService } from './notice-service';

/** `GET /api/notices/:id/progress`: the notice's whole curve, whenever the page opens. */
export interface NoticeProgressSnapshot {
  notice: Notice;
  bucketMs: number;
  buckets: ProgressBucket[]; // oldest first; minutes without a change left out
  totals: Record<ProgressState, number>; // the sum of the buckets
}

export interface NoticeProgressDeps {
  store: NoticeProgressStore;
  notices: Pick<NoticeService, 'managed'>;
  // The source (`notice:<id>`) of a notification WeChat reported on.
  notifications: { get(id: string): Promise<{ source: string } | null> };
  retentionMs: number; // RETENTION_DAYS: the series expires this long after its last change
  logger: Logger;
  now: () => number;
}

const FLUSH_MS = 250;

const NOTICE_SOURCE = /^notice:(\d{1,15})$/;

/**
 * A notice’s progress over time (docs/architecture.md#notices-to-groups): per-minute counts of the pushes
 * WeChat accepted (`sent`), confirmed delivered or failed (at the send or in WeChat's report), and
 * the recipients' first reads and confirms. Written where those states change — the delivery
 * pipeline's record of a notice push, WeChat's delivery report, the read and confirm routes — so a
 * page opened an hour after publishing shows the whole curve. Counts of events, not of people: a
 * remind's pushes count as sends again. A write that fails is logged and never fails the step that
 * made it: the stats (read from the records themselves) stay the truth.
 */
export class NoticeProgress {
  // Pushes of one notice come by the thousand: their counts are added up in memory and written
  // every FLUSH_MS (one HINCRBY per notice, minute and state), not one transaction per push on the
  // notice's one hot key. A crash loses at most FLUSH_MS of the series, never a stat.
  private pending = new Map<
    string,
    { noticeId: string; state: ProgressState; minute: number; count: number }
  >();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: NoticeProgressDeps) {}

  /** The delivery pipeline recorded a notification's outcome (any source; only notices count). */
  pushed(notification: { source: string }, outcome: Outcome, at: number): Promise<void> {
    const noticeId = NOTICE_SOURCE.exec(notification.source)?.[1];
    if (!noticeId) return Promise.resolve();
    const state: ProgressState | null =
      outcome === 'sent' ? 'sent' : outcome === 'failed' || outcome === 'missed' ? 'failed' : null;
    if (!state) return Promise.resolve();
    const minute = Math.floor(at / BUCKET_MS) * BUCKET_MS;
    const key = `${noticeId}:${minute}:${state}`;
    const entry = this.pending.get(key);
    if (entry) entry.count += 1;
    else this.pending.set(key, { noticeId, state, minute, count: 1 });
    this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
    return Promise.resolve();
  }

  /** Writes the push counts added up so far (the timer's job; the read and stop call it too). */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.flushing.then(async () => {
      await Promise.all(batch.map((e) => this.add(e.noticeId, e.state, e.minute, e.count)));
    });
    return this.flushing;
  }

  /** WeChat's delivery report on a notification that was sent (subscribe_msg_sent_event). */
  async reported(notificationId: string, result: 'delivered' | 'failed'): Promise<void> {
    try {
      const notification = await this.deps.notifications.get(notificationId);
      const noticeId = notification ? NOTICE_SOURCE.exec(notification.source)?.[1] : undefined;
      if (noticeId) await this.add(noticeId, result, this.deps.now());
    } catch (err) {
      this.deps.logger.warn({ err, notificationId }, 'notice progress not recorded');
    }
  }

  /** A recipient's first read and/or confirm, as mark-notice-read.lua answered. */
  async receipt(noticeId: string, marked: { read: boolean; confirmed: boolean }, at: number): Promise<void> {
    await Promise.all([
      marked.read ? this.add(noticeId, 'read', at) : undefined,
      marked.confirmed ? this.add(noticeId, 'confirmed', at) : undefined,
    ]);
  }

  /** The series of a notice (its managers: 404/403 as its stats). */
  async progress(openid: string, id: string): Promise<NoticeProgressSnapshot> {
    const { notice } = await this.deps.notices.managed(openid, id);
    await this.flush(); // this instance's latest pushes; another's arrive within FLUSH_MS
    const buckets = await this.deps.store.series(id);
    const totals = Object.fromEntries(PROGRESS_STATES.map((s) => [s, 0])) as Record<ProgressState, number>;
    for (const bucket of buckets) for (const state of PROGRESS_STATES) totals[state] += bucket[state];
    return { notice, bucketMs: BUCKET_MS, buckets, totals };
  }

  private async add(noticeId: string, state: ProgressState, at: number, count = 1): Promise<void> {
    try {
      await this.deps.store.add(noticeId, state, at, this.deps.now() + this.deps.retentionMs, count);
    } catch (err) {
      this.deps.logger.warn({ err, noticeId, state }, 'notice progress not recorded');
    }
  }
}
