/**
 * When a daily or cron reminder fires (docs/architecture.md#slots-come-from-the-rule-not-from-now), as pure
 * functions of (repeat, timezone, instant): no clock, no Redis, no timers.
 *
 * Occurrences are wall-clock times in the reminder's zone, and each wall time becomes one instant,
 * by the rules of RFC 5545 §3.3.5:
 * - a wall time that happens once is that instant;
 * - one that happens twice (the hour repeated when clocks fall back) is the first of the two, so a
 *   reminder never fires twice for one wall time — an every-20-minutes cron is silent for the
 *   repeated hour rather than firing six times in it;
 * - one that never happens (skipped when clocks spring forward) is read with the offset in force
 *   before the gap, which moves it as late as the gap is long: 02:30 in New York on 2026-03-08 is
 *   03:30 EDT. Nothing a user asked for is silently dropped.
 * Two wall times that land on the same instant are one occurrence. (luxon's DateTime.fromObject
 * agrees on gaps but takes the later instant of a repeated hour, hence `resolveWall`.)
 *
 * cron-parser is used only to match wall-clock fields: it runs in UTC over "wall milliseconds"
 * (the local date and time written as if it were UTC), where there is no DST, and `resolveWall`
 * turns its matches into instants. Its own `tz` handling was tested and is not trusted, because it
 * depends on iterator state we cannot keep between claims and mishandles gaps that are not whole
 * hours (details in test/scheduler/recurrence.test.ts, "cron-parser's own tz handling").
 *
 * Every next occurrence is computed from the instant passed in — the slot just claimed, never "now"
 * — so chaining cannot drift, and "strictly after" means it cannot repeat.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { IANAZone } from 'luxon';

import type { Repeat } from '../domain/reminder';
import { canonicalZone } from '../domain/time-zone';

export type { Repeat };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const DAILY_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
// Listing every value of five fields fits easily; anything longer is not a schedule a person wrote.
const MAX_CRON_LENGTH = 128;
// A search walks past at most a gap, an overlap and the offset spread around them: about 120
// matches for an every-minute cron, 1,440 across the day Samoa skipped in 2011. More means a bug,
// and looping on would hang the scheduler.
const MAX_STEPS = 2_000;
// Any fixed instant works: a cron with no match after it has none at all, as it has no year field.
const VALIDATION_EPOCH = Date.UTC(2000, 0, 1);

type Rule = { timeOfDayMs: number } | { cron: string };

/**
 * Whether `tz` names an IANA zone, in any letter case. A table lookup (domain/time-zone.ts): no
 * Intl formatter is built and nothing is cached for what a client sends.
 */
export function isValidTimezone(tz: string): boolean {
  return canonicalZone(tz) !== null;
}

/**
 * Checks a present `repeat` (null or absent means one-shot and is the caller's business). Returns
 * the first problem, with `repeat.daily` or `repeat.cron` as its path, or `repeat` when the shape
 * itself is wrong.
 *
 * A 6-field cron may name a single second only: several would fire more than once a minute, which
 * no reminder needs and which would let one user flood the send queue.
 */
export function validateRepeat(repeat: unknown): { path: string; message: string } | null {
  if (typeof repeat !== 'object' || repeat === null || Array.isArray(repeat)) {
    return { path: 'repeat', message: 'must be an object with either daily or cron' };
  }
  const fields = repeat as Record<string, unknown>;
  const keys = Object.keys(fields);
  const stranger = keys.find((key) => key !== 'daily' && key !== 'cron');
  if (stranger !== undefined) {
    return { path: `repeat.${stranger}`, message: 'is not allowed; use either daily or cron' };
  }
  if (keys.length !== 1) {
    const message =
      keys.length === 0 ? 'must have daily or cron' : 'must have either daily or cron, not both';
    return { path: 'repeat', message };
  }
  return 'daily' in fields ? checkDaily(fields.daily) : checkCron(fields.cron);
}

function checkDaily(value: unknown): { path: string; message: string } | null {
  if (typeof value === 'string' && DAILY_TIME.test(value)) return null;
  return { path: 'repeat.daily', message: 'must be a time of day HH:mm from 00:00 to 23:59, e.g. 08:30' };
}

function checkCron(value: unknown): { path: string; message: string } | null {
  const problem = (message: string) => ({ path: 'repeat.cron', message });
  if (typeof value !== 'string') return problem('must be a cron expression as a string');
  if (value.length > MAX_CRON_LENGTH) return problem(`must be at most ${MAX_CRON_LENGTH} characters`);
  const parts = value.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    return problem(
      'must have 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first ' +
        `(got ${value.trim() === '' ? 0 : parts.length})`,
    );
  }
  // cron-parser draws `H` values from Math.random when no seed is given, so the same expression
  // would fire at different times on every instance and after every restart.
  if (parts.some((part) => /(^|,)H/.test(part))) {
    return problem('must not use H (hashed) values; write the exact time');
  }
  let parsed: CronExpression;
  try {
    parsed = CronExpressionParser.parse(value, { tz: 'UTC', currentDate: VALIDATION_EPOCH });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // cron-parser has no error types; its message is matched only to word the reply better.
    if (reason === 'Invalid explicit day of month definition') {
      return problem('never fires: none of its months has that day of the month');
    }
    return problem(`is not a valid cron expression: ${reason}`);
  }
  if (parts.length === 6 && parsed.fields.second.values.length > 1) {
    return problem('must not fire more than once a minute; give the seconds field a single value');
  }
  try {
    parsed.next();
  } catch {
    return problem('never fires');
  }
  return null;
}

/**
 * The first occurrence strictly after `afterMs` (epoch ms). Pass the slot just claimed, not the
 * current time, so a late claim does not push the schedule. Throws RangeError for an invalid
 * repeat or timezone: those are rejected at the API edge and reaching here is a bug.
 */
export function nextOccurrence(repeat: Repeat, timezone: string, afterMs: number): number {
  const zone = zoneOf(timezone);
  const rule = compile(repeat);
  assertInstant(afterMs, 'afterMs');
  return 'cron' in rule ? nextCron(zone, rule.cron, afterMs) : nextDaily(zone, rule.timeOfDayMs, afterMs);
}

/**
 * The most recent occurrence in [notBeforeMs, atMs], or null. After downtime the scheduler sends
 * this one occurrence and drops the older ones it missed (docs/architecture.md#coalescing-is-exact).
 */
export function latestOccurrenceAtOrBefore(
  repeat: Repeat,
  timezone: string,
  atMs: number,
  notBeforeMs: number,
): number | null {
  const zone = zoneOf(timezone);
  const rule = compile(repeat);
  assertInstant(atMs, 'atMs');
  assertInstant(notBeforeMs, 'notBeforeMs');
  if (notBeforeMs > atMs) return null;
  const latest =
    'cron' in rule
      ? latestCron(zone, rule.cron, atMs, notBeforeMs)
      : latestDaily(zone, rule.timeOfDayMs, atMs);
  return latest !== null && latest >= notBeforeMs ? latest : null;
}

/** Where a repeat without `at` starts: its first occurrence strictly after `nowMs`. */
export function firstOccurrence(repeat: Repeat, timezone: string, nowMs: number): number {
  return nextOccurrence(repeat, timezone, nowMs);
}

function zoneOf(timezone: string): IANAZone {
  // create() caches the zone by name, for good: only canonical spellings are handed to it, so the
  // cache is bounded by the IANA table whatever spelling a record holds.
  const name = canonicalZone(timezone);
  const zone = name === null ? null : IANAZone.create(name);
  if (!zone?.isValid) throw new RangeError(`unknown timezone "${timezone}"`);
  return zone;
}

// Checking a cron parses it and searches for a match, as costly as the lookup itself; the scheduler
// asks about the same stored expressions over and over. Cleared when full, so it stays bounded.
const checkedCrons = new Set<string>();
const MAX_CHECKED_CRONS = 10_000;

function compile(repeat: Repeat): Rule {
  if ('cron' in repeat && typeof repeat.cron === 'string' && checkedCrons.has(repeat.cron)) {
    return { cron: repeat.cron };
  }
  const problem = validateRepeat(repeat);
  if (problem) throw new RangeError(`${problem.path} ${problem.message}`);
  if ('cron' in repeat) {
    if (checkedCrons.size >= MAX_CHECKED_CRONS) checkedCrons.clear();
    checkedCrons.add(repeat.cron);
    return { cron: repeat.cron };
  }
  const [hours, minutes] = repeat.daily.split(':').map(Number);
  return { timeOfDayMs: ((hours ?? 0) * 60 + (minutes ?? 0)) * MINUTE_MS };
}

function assertInstant(ms: number, name: string): void {
  if (!Number.isFinite(ms)) throw new RangeError(`${name} must be epoch milliseconds, got ${ms}`);
}

function offsetMs(zone: IANAZone, instant: number): number {
  return zone.offset(instant) * MINUTE_MS;
}

/**
 * The instant a wall time stands for (rules in the header). The offsets a day either side bracket
 * any one transition, since no offset exceeds 14 h; zones do not change twice within two days.
 * `inGap` marks a skipped wall time: only those can map out of wall-clock order.
 */
function resolveWall(zone: IANAZone, wall: number): { at: number; inGap: boolean } {
  const before = offsetMs(zone, wall - DAY_MS);
  const after = offsetMs(zone, wall + DAY_MS);
  const high = Math.max(before, after);
  const low = Math.min(before, after);
  // With the larger offset the reading is the earlier instant: the first pass of a repeated hour.
  if (offsetMs(zone, wall - high) === high) return { at: wall - high, inGap: false };
  if (offsetMs(zone, wall - low) === low) return { at: wall - low, inGap: false };
  return { at: wall - before, inGap: true };
}

/** The smallest and largest offsets in force within a day of `instant`. */
function offsetSpread(zone: IANAZone, instant: number): { min: number; max: number } {
  const offsets = [instant - DAY_MS, instant, instant + DAY_MS].map((t) => offsetMs(zone, t));
  return { min: Math.min(...offsets), max: Math.max(...offsets) };
}

function localMidnight(zone: IANAZone, instant: number): number {
  const wall = instant + offsetMs(zone, instant);
  return Math.floor(wall / DAY_MS) * DAY_MS;
}

// Candidate days either side of the instant's own day cover a gap's shift and an overlap's
// repeated hour, whichever side of midnight they fall.
function nextDaily(zone: IANAZone, timeOfDayMs: number, afterMs: number): number {
  const midnight = localMidnight(zone, afterMs);
  let best = Infinity;
  for (let day = -1; day <= 2; day++) {
    const { at } = resolveWall(zone, midnight + day * DAY_MS + timeOfDayMs);
    if (at > afterMs && at < best) best = at;
  }
  return best;
}

function latestDaily(zone: IANAZone, timeOfDayMs: number, atMs: number): number {
  const midnight = localMidnight(zone, atMs);
  let best = -Infinity;
  for (let day = -2; day <= 1; day++) {
    const { at } = resolveWall(zone, midnight + day * DAY_MS + timeOfDayMs);
    if (at <= atMs && at > best) best = at;
  }
  return best;
}

function nextCron(zone: IANAZone, cron: string, afterMs: number): number {
  // No wall time below afterMs + the smallest nearby offset can map after afterMs.
  const walls = CronExpressionParser.parse(cron, {
    tz: 'UTC',
    currentDate: afterMs + offsetSpread(zone, afterMs).min,
  });
  let best = Infinity;
  for (let step = 0; step < MAX_STEPS; step++) {
    const { at, inGap } = resolveWall(zone, walls.next().getTime());
    if (at <= afterMs) continue;
    best = Math.min(best, at);
    // Existing wall times map in order, and a skipped one maps into its gap, after every existing
    // wall time before it: the first existing match ends the search. A skipped match is only a
    // candidate, since an existing one just after the gap may map earlier.
    if (!inGap) return best;
  }
  throw new Error(`no occurrence of cron "${cron}" found within ${MAX_STEPS} matches`);
}

function latestCron(zone: IANAZone, cron: string, atMs: number, notBeforeMs: number): number | null {
  const near = offsetSpread(zone, atMs);
  const walls = CronExpressionParser.parse(cron, {
    tz: 'UTC',
    // prev() is strictly before currentDate; +1 makes the bound inclusive.
    currentDate: atMs + near.max + 1,
    // Bounds the walk back: no wall time below this can map to notBeforeMs or later.
    startDate: notBeforeMs + offsetSpread(zone, notBeforeMs).min,
  });
  let best: number | null = null;
  let stopAtOrBelow = -Infinity;
  for (let step = 0; step < MAX_STEPS && walls.hasPrev(); step++) {
    const wall = walls.prev().getTime();
    if (wall <= stopAtOrBelow) break;
    const { at, inGap } = resolveWall(zone, wall);
    if (at > atMs) continue;
    if (best === null || at > best) best = at;
    if (!inGap && stopAtOrBelow === -Infinity) {
      // Earlier wall times map earlier, except skipped ones, which are shifted later by the gap's
      // length at most: keep looking only that far back.
      const spread = offsetSpread(zone, at);
      if (spread.max === spread.min) break;
      stopAtOrBelow = wall - (spread.max - spread.min);
    }
  }
  return best;
}
