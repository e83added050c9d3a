/**
 * A promise between two people (docs/architecture.md#promises): an author, a counterpart once
 * someone accepts the invite, a daily time in a zone, and one verdict per day (`kept` or
 * `missed`). Stored as the Redis hash `promise:{<id>}` and the day hash `promise:{<id>}:days`
 * (README.md#redis-keys); pure types and day arithmetic here, no clock and no Redis.
 */
import { DateTime } from 'luxon';

export type PromiseType = 'give' | 'ask';
export type PromiseStatus = 'active' | 'ended';
/** A day's verdict as stored; `open` is a day without one (today, or not yet evaluated). */
export type DayVerdict = 'kept' | 'missed';
export type DayState = DayVerdict | 'open';
/** Who is reminded daily: the author (`give`), the counterpart once bound (`ask`), or nobody yet. */
export type Reminded = 'author' | 'counterpart' | null;

export const INVITE_TTL_MS = 7 * 86_400_000; // an invite code works for 7 days
export const INVITE_PAGE = 'pages/promise/accept'; // the page a shared invite opens
export const PROMISE_PAGE = 'pages/promise/detail'; // the page a promise's messages open
export const HISTORY_DAYS = 30; // days of history a promise view shows (today included)

export interface PromiseRecord {
  id: string;
  type: PromiseType;
  author: string; // openid
  counterpart: string | null; // openid once accepted
  counterpartName: string | null; // the name the author gave the counterpart (the seed's cname)
  cid: string | null; // the original client's counterpart id, echoed back
  detail: string;
  hour: number;
  min: number;
  timezone: string; // canonical IANA zone
  status: PromiseStatus;
  keeper: string | null; // openid of the person reminded, who keeps the days
  reminderId: string | null; // the keeper's daily reminder
  inviteCode: string;
  inviteExpiresAt: number; // ms
  startDay: string | null; // first day owed (YYYY-MM-DD in the zone); null until someone is reminded
  nextEvalDay: string | null; // the next day the evaluation gives a verdict on
  nextEvalEnd: number | null; // when that day ends (ms): its score in the `promises:due` index
  keptDays: number;
  missedDays: number;
  streakEnd: string | null; // last day of the current run of kept days
  streakLen: number;
  createdAt: number;
  updatedAt: number;
  acceptedAt: number | null;
  endedAt: number | null;
  endedBy: string | null; // openid of the party who ended it
  requestHash?: string; // the create's Idempotency-Key fingerprint
  idempotencyKey?: string; // an `ask`'s Idempotency-Key (`idem:…:<openid>:<key>` names it; erased with it)
}

/** `HH:mm` of a promise's daily time. */
export function dailyTime(hour: number, min: number): string {
  return `${String(hour).padStart(2, '0')}:${String(min).padStart(2, '0')}`;
}

/** Who is reminded, from the type and whether a counterpart is bound. */
export function remindedOf(p: Pick<PromiseRecord, 'type' | 'counterpart' | 'status'>): Reminded {
  if (p.status !== 'active') return null;
  if (p.type === 'give') return 'author';
  return p.counterpart ? 'counterpart' : null;
}

/** The party told about the keeper's days: the counterpart of a `give`, the author of an `ask`. */
export function watcherOf(p: Pick<PromiseRecord, 'type' | 'author' | 'counterpart'>): string | null {
  return p.type === 'give' ? p.counterpart : p.author;
}

/** The calendar day (YYYY-MM-DD) of `ms` in `zone`. */
export function dayOf(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISODate() ?? '';
}

/** The instant `day` ends in `zone` (the start of the next day there), ms. */
export function endOfDay(day: string, zone: string): number {
  return DateTime.fromISO(day, { zone }).startOf('day').plus({ days: 1 }).toMillis();
}

/** The day after (or, with `-1`, before) `day`. */
export function addDays(day: string, days: number): string {
  return DateTime.fromISO(day, { zone: 'UTC' }).plus({ days }).toISODate() ?? '';
}

/** `count` days ending with `last`, oldest first. */
export function daysEndingWith(last: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addDays(last, i - count + 1));
}

/** Whether `text` is a calendar day that exists, written YYYY-MM-DD. */
export function isDay(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && DateTime.fromISO(text, { zone: 'UTC' }).isValid;
}

/** The run of kept days still alive on `today`: it must end today or yesterday. */
export function currentStreak(p: Pick<PromiseRecord, 'streakEnd' | 'streakLen'>, today: string): number {
  if (!p.streakEnd) return 0;
  return p.streakEnd === today || p.streakEnd === addDays(today, -1) ? p.streakLen : 0;
}

export function invitePath(code: string): string {
  return `${INVITE_PAGE}?code=${code}`;
}

export function promisePage(id: string): string {
  return `${PROMISE_PAGE}?id=${id}`;
}

const orNull = (value: string | undefined): string | null => (value ? value : null);
const count = (value: string | undefined): number => Number(value ?? 0) || 0;

/** Hash fields → PromiseRecord; null for a missing hash. */
export function promiseFromHash(h: Record<string, string>): PromiseRecord | null {
  if (!h.id || !h.author) return null;
  return {
    id: h.id,
    type: h.type === 'ask' ? 'ask' : 'give',
    author: h.author,
    counterpart: orNull(h.counterpart),
    counterpartName: orNull(h.counterpartName),
    cid: orNull(h.cid),
    detail: h.detail ?? '',
    hour: count(h.hour),
    min: count(h.min),
    timezone: h.timezone ?? 'UTC',
    status: h.status === 'ended' ? 'ended' : 'active',
    keeper: orNull(h.keeper),
    reminderId: orNull(h.reminderId),
    inviteCode: h.inviteCode ?? '',
    inviteExpiresAt: count(h.inviteExpiresAt),
    startDay: orNull(h.startDay),
    nextEvalDay: orNull(h.nextEvalDay),
    nextEvalEnd: h.nextEvalEnd ? count(h.nextEvalEnd) : null,
    keptDays: count(h.keptDays),
    missedDays: count(h.missedDays),
    streakEnd: orNull(h.streakEnd),
    streakLen: count(h.streakLen),
    createdAt: count(h.createdAt),
    updatedAt: count(h.updatedAt),
    acceptedAt: h.acceptedAt ? count(h.acceptedAt) : null,
    endedAt: h.endedAt ? count(h.endedAt) : null,
    endedBy: orNull(h.endedBy),
    ...(h.requestHash ? { requestHash: h.requestHash } : {}),
    ...(h.idempotencyKey ? { idempotencyKey: h.idempotencyKey } : {}),
  };
}

/** The fields a new promise is written with (strings; empty string for "none"). */
export function promiseToHash(p: PromiseRecord): Record<string, string> {
  return {
    id: p.id,
    type: p.type,
    author: p.author,
    counterpart: p.counterpart ?? '',
    counterpartName: p.counterpartName ?? '',
    cid: p.cid ?? '',
    detail: p.detail,
    hour: String(p.hour),
    min: String(p.min),
    timezone: p.timezone,
    status: p.status,
    keeper: p.keeper ?? '',
    reminderId: p.reminderId ?? '',
    inviteCode: p.inviteCode,
    inviteExpiresAt: String(p.inviteExpiresAt),
    startDay: p.startDay ?? '',
    nextEvalDay: p.nextEvalDay ?? '',
    nextEvalEnd: p.nextEvalEnd === null ? '' : String(p.nextEvalEnd),
    keptDays: String(p.keptDays),
    missedDays: String(p.missedDays),
    streakEnd: p.streakEnd ?? '',
    streakLen: String(p.streakLen),
    createdAt: String(p.createdAt),
    updatedAt: String(p.updatedAt),
    acceptedAt: p.acceptedAt === null ? '' : String(p.acceptedAt),
    endedAt: p.endedAt === null ? '' : String(p.endedAt),
    endedBy: p.endedBy ?? '',
    ...(p.requestHash ? { requestHash: p.requestHash } : {}),
    ...(p.idempotencyKey ? { idempotencyKey: p.idempotencyKey } : {}),
  };
}
