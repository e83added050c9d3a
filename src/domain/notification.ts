import type { Outcome } from '../delivery/outcome';
import type { LastResult } from './reminder';

/**
 * A notification: one subscribe message to one person, sent once at `at` through the delivery
 * pipeline (src/delivery/kinds/notification.ts) — a promise's "kept"/"missed"/"ended", and later a
 * notice to one member of a group. Stored as a Redis hash of strings (src/store/notification-store.ts).
 */
export interface Notification {
  id: string;
  openid: string; // the recipient
  templateId: string;
  page: string;
  title: string;
  detail: string;
  timezone: string; // the zone {{fireTime}} is shown in
  fireAt: number | null; // the time shown as {{fireTime}}; null: when it is sent
  data: Record<string, string> | null; // extra {{placeholders}}
  at: number; // when to send (ms): its one occurrence's slot
  source: string; // what sent it, e.g. `promise:12`
  dedupe?: string; // the sender's dedupe key, when it gave one
  status: 'pending' | Outcome;
  createdAt: number;
  updatedAt: number;
  lastResult: LastResult | null;
  // WeChat's report on the send (subscribe_msg_sent_event): errorCode '0' = delivered.
  confirmed: { at: string; errorCode: string; status: string } | null;
}

/** Hash fields → Notification; null when the hash is empty. */
export function notificationFromHash(hash: Record<string, string>): Notification | null {
  if (!hash.id) return null;
  return {
    id: hash.id,
    openid: hash.openid ?? '',
    templateId: hash.templateId ?? '',
    page: hash.page ?? '',
    title: hash.title ?? '',
    detail: hash.detail ?? '',
    timezone: hash.timezone ?? '',
    fireAt: hash.fireAt ? Number(hash.fireAt) : null,
    data: hash.data ? (JSON.parse(hash.data) as Record<string, string>) : null,
    at: Number(hash.at ?? 0),
    source: hash.source ?? '',
    ...(hash.dedupe ? { dedupe: hash.dedupe } : {}),
    status: (hash.status as Notification['status']) ?? 'pending',
    createdAt: Number(hash.createdAt ?? 0),
    updatedAt: Number(hash.updatedAt ?? 0),
    lastResult: hash.lastResult ? (JSON.parse(hash.lastResult) as LastResult) : null,
    confirmed: hash.confirmed ? (JSON.parse(hash.confirmed) as Notification['confirmed']) : null,
  };
}

/** A new notification → hash fields (strings; empty string for "none"). */
export function notificationToHash(
  n: Omit<Notification, 'lastResult' | 'confirmed'>,
): Record<string, string> {
  return {
    id: n.id,
    openid: n.openid,
    templateId: n.templateId,
    page: n.page,
    title: n.title,
    detail: n.detail,
    timezone: n.timezone,
    fireAt: n.fireAt === null ? '' : String(n.fireAt),
    data: n.data ? JSON.stringify(n.data) : '',
    at: String(n.at),
    source: n.source,
    status: n.status,
    createdAt: String(n.createdAt),
    updatedAt: String(n.updatedAt),
  };
}
