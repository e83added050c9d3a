/**
 * Meeting check-in (会议签到) in a group: a window (`startsAt`–`endsAt`), an optional time after
 * which a sign-in is `late`, an optional geofence, and a rotating 6-digit code shown by a manager.
 * Stored under the check-in's hash tag `{c<id>}` (README.md#redis-keys). Pure types and rules here.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CODE_PERIOD_MS = 30_000; // a code is shown for 30 s…
export const CODE_GRACE_MS = 10_000; // …and still accepted for 10 s after the next one replaces it
export const CODE_DIGITS = 6;
export const STALE_STEPS = 20; // a code of the last 10 minutes is named stale rather than wrong
export const WRONG_CODE_LIMIT = 5; // wrong codes per member and check-in…
export const WRONG_CODE_WINDOW_MS = 60_000; // …within a minute, then 429
export const LOCATION_SLACK_MAX_M = 100; // the phone's reported accuracy widens a fence by at most this

export const CHECKIN_LIMITS = {
  titleLength: 40,
  maxDurationMs: 24 * 3600_000, // one meeting's window
  maxAheadMs: 366 * 86_400_000, // how far ahead a check-in may start
  radiusMinM: 10,
  radiusMaxM: 10_000,
} as const;

/** The page a check-in's QR code opens; it reads the check-in from `options.scene` (`c=<id>`). */
export const SIGN_PAGE = 'pages/checkin/sign';
/** What members see instead of a title WeChat's content check holds for review. */
export const HIDDEN_TITLE = '会议签到';

export type SignStatus = 'on_time' | 'late';

export interface Fence {
  lat: number; // degrees, -90..90
  lng: number; // degrees, -180..180
  radiusM: number;
}

export interface Checkin {
  id: string;
  groupId: string;
  title: string;
  titleReview: boolean; // WeChat's content check answered `review`: members see HIDDEN_TITLE
  startsAt: number; // ms
  endsAt: number; // ms
  lateAfter: number | null; // ms; a sign-in after it is `late`
  location: Fence | null;
  createdBy: string; // the memberId of the manager who created it (no openid in the record)
  createdAt: number; // ms
  secret: string; // hex, the key the codes are derived from: never leaves the server
  onTime: number; // sign-ins so far, counted by the sign script
  late: number;
}

/** One member's sign-in, as stored in `checkin:{c<id>}:signs` under their openid. */
export interface Sign {
  memberId: string;
  status: SignStatus;
  at: number; // ms
  distanceM: number | null; // from the fence's centre, when the check-in has one
}

export const newSecret = (): string => randomBytes(20).toString('hex');

/** The 30-s step `ms` falls in. */
export const stepOf = (ms: number): number => Math.floor(ms / CODE_PERIOD_MS);

/** The code of one step: HOTP (RFC 4226 dynamic truncation) over HMAC-SHA-256 of the step, 6 digits. */
export function codeAt(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha256', Buffer.from(secret, 'hex')).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** CODE_DIGITS).padStart(CODE_DIGITS, '0');
}

/**
 * How a typed code fares at `now`: the current step's code, or the previous step's within the
 * grace, is `ok`; one of an earlier step of the last STALE_STEPS is `stale`; anything else `wrong`.
 */
export function judgeCode(secret: string, code: string, now: number): 'ok' | 'stale' | 'wrong' {
  const step = stepOf(now);
  if (same(code, codeAt(secret, step))) return 'ok';
  if (same(code, codeAt(secret, step - 1)))
    return now - step * CODE_PERIOD_MS < CODE_GRACE_MS ? 'ok' : 'stale';
  for (let back = 2; back <= STALE_STEPS; back++) if (same(code, codeAt(secret, step - back))) return 'stale';
  return 'wrong';
}

/** Compared in constant time, as every secret is (a code is derived from one). */
function same(typed: string, expected: string): boolean {
  const a = Buffer.from(typed);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const EARTH_RADIUS_M = 6_371_008.8; // the mean radius (IUGG)

/** Great-circle distance between two points in metres (haversine formula). */
export function haversineM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = (deg: number) => (deg * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The QR code's scene: names the check-in (≤ 32 characters of WeChat's scene alphabet). */
export const checkinScene = (id: string): string => `c=${id}`;

/** The page and query a reminder's push opens. */
export const signPagePath = (id: string): string => `${SIGN_PAGE}?id=${id}`;

export function checkinToHash(c: Checkin): Record<string, string> {
  return {
    id: c.id,
    groupId: c.groupId,
    title: c.title,
    titleReview: c.titleReview ? '1' : '0',
    startsAt: String(c.startsAt),
    endsAt: String(c.endsAt),
    lateAfter: c.lateAfter === null ? '' : String(c.lateAfter),
    location: c.location ? JSON.stringify(c.location) : '',
    createdBy: c.createdBy,
    createdAt: String(c.createdAt),
    secret: c.secret,
    onTime: String(c.onTime),
    late: String(c.late),
  };
}

export function checkinFromHash(hash: Record<string, string>): Checkin | null {
  if (!hash.id || !hash.groupId || !hash.secret) return null;
  let location: Fence | null = null;
  if (hash.location) {
    const parsed = JSON.parse(hash.location) as Partial<Fence>;
    if (
      typeof parsed.lat === 'number' &&
      typeof parsed.lng === 'number' &&
      typeof parsed.radiusM === 'number'
    ) {
      location = { lat: parsed.lat, lng: parsed.lng, radiusM: parsed.radiusM };
    }
  }
  return {
    id: hash.id,
    groupId: hash.groupId,
    title: hash.title ?? '',
    titleReview: hash.titleReview === '1',
    startsAt: Number(hash.startsAt),
    endsAt: Number(hash.endsAt),
    lateAfter: hash.lateAfter ? Number(hash.lateAfter) : null,
    location,
    createdBy: hash.createdBy ?? '',
    createdAt: Number(hash.createdAt),
    secret: hash.secret,
    onTime: Number(hash.onTime ?? 0),
    late: Number(hash.late ?? 0),
  };
}

export function signFromJson(json: string | null | undefined): Sign | null {
  if (!json) return null;
  try {
    const v = JSON.parse(json) as Partial<Sign>;
    if ((v.status !== 'on_time' && v.status !== 'late') || typeof v.at !== 'number') return null;
    return {
      memberId: String(v.memberId ?? ''),
      status: v.status,
      at: v.at,
      distanceM: typeof v.distanceM === 'number' ? v.distanceM : null,
    };
  } catch {
    return null;
  }
}

export const signToJson = (s: Sign): string =>
  JSON.stringify({ memberId: s.memberId, status: s.status, at: s.at, distanceM: s.distanceM });
