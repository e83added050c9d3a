import type { NoticeProgressSnapshot } from '../../services/notice-progress';
import type { ProgressState } from '../../store/notice-progress-store';

/** One minute of a notice's progress: how many reached each state in it. */
export interface ProgressBucketView extends Record<ProgressState, number> {
  at: string; // the minute's start
}

/** `GET /api/notices/:id/progress`. */
export interface NoticeProgressView {
  noticeId: string;
  status: string;
  publishedAt: string | null;
  bucketSeconds: number;
  buckets: ProgressBucketView[]; // oldest first; minutes without a change left out
  totals: Record<ProgressState, number>; // the sum of the buckets
}

export function presentNoticeProgress(s: NoticeProgressSnapshot): NoticeProgressView {
  return {
    noticeId: s.notice.id,
    status: s.notice.status,
    publishedAt: s.notice.publishedAt === null ? null : new Date(s.notice.publishedAt).toISOString(),
    bucketSeconds: s.bucketMs / 1000,
    buckets: s.buckets.map(({ at, ...counts }) => ({ at: new Date(at).toISOString(), ...counts })),
    totals: s.totals,
  };
}
