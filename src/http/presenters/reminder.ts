import type {
  DeliveryAttempt,
  LastResult,
  Reminder,
  ReminderKind,
  ReminderStatus,
  Repeat,
} from '../../domain/reminder';
import type { QuotaHint } from '../../services/quota-hint';

/** A reminder as the API shows it: ISO times, no openid, no request fingerprint. */
export interface ReminderView {
  id: string;
  kind: ReminderKind;
  title: string;
  detail: string;
  templateId: string;
  page: string;
  timezone: string;
  repeat: Repeat | null;
  data: Record<string, string> | null;
  cid?: string; // promises only: the client's counterpart id, echoed back
  nextFireAt: string | null; // null once final
  status: ReminderStatus;
  createdAt: string;
  updatedAt: string;
  fireCount: number;
  lastResult: LastResult | null;
}

/**
 * The caller's grants for the reminder's template, on every create's answer: `remaining` is the
 * ledger's number; `mode: "ignore"` (QUOTA_MODE=ignore) says sends do not need a grant.
 */
export interface QuotaHintView {
  templateId: string;
  remaining: number;
  mode: 'enforce' | 'ignore';
}

/** A create's answer (`POST /api/reminders`, `POST /api/reminder`, promise creates): the reminder and `quota`. */
export interface CreatedReminderView extends ReminderView {
  quota: QuotaHintView;
}

/** One delivery attempt; stored as the API shows it (ISO times, WeChat's errcode and msgid). */
export type DeliveryView = DeliveryAttempt;

/** `GET /api/reminders/:id`: the reminder and its latest delivery attempts, newest first. */
export interface ReminderDetailView extends ReminderView {
  deliveries: DeliveryView[];
}

/** `GET /api/reminders`: a page, newest first; `nextCursor` null on the last page. */
export interface ReminderPageView {
  items: ReminderView[];
  nextCursor: string | null;
}

export function presentReminder(r: Reminder): ReminderView {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    detail: r.detail,
    templateId: r.templateId,
    page: r.page,
    timezone: r.timezone,
    repeat: r.repeat,
    data: r.data,
    ...(r.cid ? { cid: r.cid } : {}),
    nextFireAt: r.nextFireAt === null ? null : new Date(r.nextFireAt).toISOString(),
    status: r.status,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
    fireCount: r.fireCount,
    lastResult: r.lastResult,
  };
}

export function presentReminderDetail(
  r: Reminder,
  deliveries: readonly DeliveryAttempt[],
): ReminderDetailView {
  return { ...presentReminder(r), deliveries: [...deliveries] };
}

export function presentReminderPage(page: {
  items: readonly Reminder[];
  nextCursor: string | null;
}): ReminderPageView {
  return { items: page.items.map(presentReminder), nextCursor: page.nextCursor };
}

export function presentQuotaHint(hint: QuotaHint): QuotaHintView {
  return { templateId: hint.templateId, remaining: hint.remaining, mode: hint.mode };
}

export function presentCreatedReminder(r: Reminder, quota: QuotaHint): CreatedReminderView {
  return { ...presentReminder(r), quota: presentQuotaHint(quota) };
}
