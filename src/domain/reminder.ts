import { OUTCOMES, type AttemptResult, type Outcome } from '../delivery/outcome';

/** The reminder as tixing's layers share it (README.md#http-api). Stored as a Redis hash of strings. */
export type ReminderKind = 'reminder' | 'give' | 'ask';
/**
 * Pending, cancelled, the outcome of its last occurrence (src/delivery/outcome.ts), or `done`: a
 * one-shot its owner marked done before it was sent (POST /api/reminders/:id/done).
 */
export type ReminderStatus = 'pending' | Outcome | 'cancelled' | 'done';
export type Repeat = { daily: string } | { cron: string };

export const REMINDER_STATUSES: readonly ReminderStatus[] = ['pending', ...OUTCOMES, 'cancelled', 'done'];

export interface LastResult {
  at: string; // ISO time of the outcome
  errcode: number | null; // WeChat's errcode (0 = accepted), null when no call was made
  errmsg: string;
  msgid: string | null;
}

export interface Reminder {
  id: string;
  openid: string;
  kind: ReminderKind;
  title: string;
  detail: string;
  templateId: string;
  page: string;
  timezone: string;
  repeat: Repeat | null;
  data: Record<string, string> | null; // per-reminder template values by key
  cid: string | null; // promises: the client's counterpart id, echoed back
  nextFireAt: number | null; // epoch ms of the next occurrence; null once final
  status: ReminderStatus;
  createdAt: number;
  updatedAt: number;
  fireCount: number;
  lastResult: LastResult | null;
  // A create with an Idempotency-Key: the fingerprint of its route and body, so that a replay
  // with another body or route is told apart from a retry (docs/architecture.md#idempotent-creates).
  requestHash?: string;
  // ...and the key itself, so that erasing the user's data finds its `idem:` record without a SCAN.
  idempotencyKey?: string;
  // The slot of the extra occurrence a snooze added (POST /api/reminders/:id/snooze), while it is
  // the one due: a recurring reminder then still has its regular next slot after it.
  snoozeAt?: number;
}

/** One attempt to deliver one occurrence, kept in the reminder's capped delivery list. */
export interface DeliveryAttempt {
  occurrence: string; // `<reminderId>:<scheduledAtMs>`
  attempt: number; // 1-based within the occurrence
  at: string; // ISO time the attempt ended
  latencyMs: number;
  errcode: number | null; // null: no call made (no_quota in enforce mode, missed)
  errmsg: string;
  msgid: string | null;
  result: AttemptResult;
  confirmed?: { at: string; errorCode: string; status: string }; // from subscribe_msg_sent_event
}

export function occurrenceId(id: string, scheduledAtMs: number): string {
  return `${id}:${scheduledAtMs}`;
}

/** Hash fields → Reminder. Unknown or missing numeric fields read as their zero value. */
export function reminderFromHash(hash: Record<string, string>): Reminder | null {
  if (!hash.id) return null;
  return {
    id: hash.id,
    openid: hash.openid ?? '',
    kind: (hash.kind as ReminderKind) ?? 'reminder',
    title: hash.title ?? '',
    detail: hash.detail ?? '',
    templateId: hash.templateId ?? '',
    page: hash.page ?? '',
    timezone: hash.timezone ?? '',
    repeat: hash.repeat ? (JSON.parse(hash.repeat) as Repeat) : null,
    data: hash.data ? (JSON.parse(hash.data) as Record<string, string>) : null,
    cid: hash.cid ? hash.cid : null,
    nextFireAt: hash.nextFireAt ? Number(hash.nextFireAt) : null,
    status: (hash.status as ReminderStatus) ?? 'pending',
    createdAt: Number(hash.createdAt ?? 0),
    updatedAt: Number(hash.updatedAt ?? 0),
    fireCount: Number(hash.fireCount ?? 0),
    lastResult: hash.lastResult ? (JSON.parse(hash.lastResult) as LastResult) : null,
    ...(hash.requestHash ? { requestHash: hash.requestHash } : {}),
    ...(hash.idempotencyKey ? { idempotencyKey: hash.idempotencyKey } : {}),
    ...(hash.snoozeAt ? { snoozeAt: Number(hash.snoozeAt) } : {}),
  };
}

/** Reminder → hash fields (strings; empty string for "none"). */
export function reminderToHash(r: Omit<Reminder, 'fireCount' | 'lastResult'>): Record<string, string> {
  return {
    id: r.id,
    openid: r.openid,
    kind: r.kind,
    title: r.title,
    detail: r.detail,
    templateId: r.templateId,
    page: r.page,
    timezone: r.timezone,
    repeat: r.repeat ? JSON.stringify(r.repeat) : '',
    data: r.data ? JSON.stringify(r.data) : '',
    cid: r.cid ?? '',
    nextFireAt: r.nextFireAt === null ? '' : String(r.nextFireAt),
    status: r.status,
    createdAt: String(r.createdAt),
    updatedAt: String(r.updatedAt),
    ...(r.requestHash ? { requestHash: r.requestHash } : {}),
    ...(r.idempotencyKey ? { idempotencyKey: r.idempotencyKey } : {}),
    ...(r.snoozeAt !== undefined ? { snoozeAt: String(r.snoozeAt) } : {}),
  };
}
