import {
  currentStreak,
  dailyTime,
  invitePath,
  remindedOf,
  type DayState,
  type PromiseRecord,
  type PromiseStatus,
  type PromiseType,
  type Reminded,
} from '../../domain/promise';
import type { KeepResult } from '../../services/promise-keeping';
import type { PromiseSnapshot } from '../../services/promise-reader';

/** The author's name as shown to the other party: their profile's, or 某人 ("someone"). */
const SOMEONE = '某人';

/**
 * A promise as one of its two parties sees it; no openid. The seed client's fields stay: `kind`
 * (= `type`), `cid`, `detail`, `repeat: {daily}`, `timezone`, `nextFireAt`.
 */
export interface PromiseView {
  id: string;
  type: PromiseType;
  kind: PromiseType; // the original client reads a promise as a reminder of this kind
  cid?: string;
  detail: string;
  hour: number;
  min: number;
  repeat: { daily: string };
  timezone: string;
  status: PromiseStatus;
  role: 'author' | 'counterpart'; // the caller's
  author: { name: string; named: boolean }; // named: false when no profile name is set
  counterpart: { name: string | null; bound: boolean }; // name: the one the author gave
  reminded: Reminded; // who is reminded daily
  canKeep: boolean; // whether the caller is the one who keeps the days
  note: string; // `reminded`, for a person
  invite: { code: string; path: string; expiresAt: string } | null; // the author's, until accepted
  nextFireAt: string | null; // the keeper's next reminder
  today: string; // YYYY-MM-DD in the promise's zone
  startDay: string | null; // the first day owed; null until someone is reminded
  streak: number; // consecutive kept days up to today or yesterday
  keptDays: number;
  missedDays: number;
  history: Record<string, DayState>; // the last 30 days it lasted, oldest first
  createdAt: string;
  updatedAt: string;
  acceptedAt: string | null;
  endedAt: string | null;
}

/** `POST /api/promises/:id/keep`: the promise, and what the keep did. */
export interface KeepView extends PromiseView {
  kept: { date: string; changed: boolean }; // changed: false when the day was kept already
}

/** `GET /api/promises`: newest first; `nextCursor` null on the last page. */
export interface PromisePageView {
  items: PromiseView[];
  nextCursor: string | null;
}

/** `GET /api/promises/invites/:code`: what accepting means, before accepting. No openid. */
export interface InviteView {
  type: PromiseType;
  author: { name: string; named: boolean };
  counterpartName: string | null; // what the author calls the person invited
  detail: string;
  time: string; // HH:mm
  timezone: string;
  expiresAt: string;
  state: 'open' | 'taken' | 'mine' | 'own'; // taken: someone else accepted; mine: the caller did
  reminded: 'author' | 'counterpart'; // who is reminded daily once it is accepted
  note: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function authorName(name: string | null): { name: string; named: boolean } {
  return name ? { name, named: true } : { name: SOMEONE, named: false };
}

function note(p: PromiseRecord): string {
  const at = `${dailyTime(p.hour, p.min)} ${p.timezone}`;
  if (p.status === 'ended') return 'the promise has ended: nobody is reminded';
  if (p.type === 'give') {
    return `the author is reminded daily at ${at}; the counterpart, once they accept, is told when a day is kept or missed`;
  }
  return p.counterpart
    ? `the counterpart is reminded daily at ${at}; the author is told when a day is kept or missed`
    : `nobody is reminded until the counterpart accepts the invite; then they are reminded daily at ${at}`;
}

export function presentPromise(s: PromiseSnapshot): PromiseView {
  const p = s.record;
  const role = s.viewer === p.author ? 'author' : 'counterpart';
  const history: Record<string, DayState> = {};
  for (const day of s.shownDays) history[day] = s.days.get(day) ?? 'open';
  return {
    id: p.id,
    type: p.type,
    kind: p.type,
    ...(p.cid !== null && role === 'author' ? { cid: p.cid } : {}),
    detail: p.detail,
    hour: p.hour,
    min: p.min,
    repeat: { daily: dailyTime(p.hour, p.min) },
    timezone: p.timezone,
    status: p.status,
    role,
    author: authorName(s.authorName),
    counterpart: { name: p.counterpartName, bound: p.counterpart !== null },
    reminded: remindedOf(p),
    canKeep: p.status === 'active' && p.keeper === s.viewer,
    note: note(p),
    invite:
      role === 'author' && p.status === 'active' && p.counterpart === null
        ? {
            code: p.inviteCode,
            path: invitePath(p.inviteCode),
            expiresAt: new Date(p.inviteExpiresAt).toISOString(),
          }
        : null,
    nextFireAt: iso(s.nextFireAt),
    today: s.today,
    startDay: p.startDay,
    streak: currentStreak(p, s.today),
    keptDays: p.keptDays,
    missedDays: p.missedDays,
    history,
    createdAt: new Date(p.createdAt).toISOString(),
    updatedAt: new Date(p.updatedAt).toISOString(),
    acceptedAt: iso(p.acceptedAt),
    endedAt: iso(p.endedAt),
  };
}

export function presentKeep(result: KeepResult): KeepView {
  return { ...presentPromise(result.promise), kept: { date: result.date, changed: result.changed } };
}

export function presentPromisePage(page: {
  items: PromiseSnapshot[];
  nextCursor: string | null;
}): PromisePageView {
  return { items: page.items.map(presentPromise), nextCursor: page.nextCursor };
}

export function presentInvite(
  invite: { record: PromiseRecord; authorName: string | null },
  viewer: string,
): InviteView {
  const p = invite.record;
  const state =
    viewer === p.author
      ? 'own'
      : p.counterpart === null
        ? 'open'
        : p.counterpart === viewer
          ? 'mine'
          : 'taken';
  const reminded = p.type === 'give' ? 'author' : 'counterpart';
  const at = `${dailyTime(p.hour, p.min)} ${p.timezone}`;
  return {
    type: p.type,
    author: authorName(invite.authorName),
    counterpartName: p.counterpartName,
    detail: p.detail,
    time: dailyTime(p.hour, p.min),
    timezone: p.timezone,
    expiresAt: new Date(p.inviteExpiresAt).toISOString(),
    state,
    reminded,
    note:
      reminded === 'author'
        ? `the author promises this daily at ${at}; accepting makes you the witness, told when a day is missed or kept`
        : `accepting promises this daily at ${at}: you are reminded, and the author is told when a day is kept or missed`,
  };
}
