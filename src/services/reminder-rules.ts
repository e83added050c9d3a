/**
 * The rules of a reminder only the service can check — its schedule (`at`, `repeat`, `timezone`)
 * and its template's field rules — merged with the shape problems the route's schema found, so
 * that one 400 names every problem of the body at once (docs/architecture.md#input-rules).
 */
import type { Repeat } from '../domain/reminder';
import { parseIsoInstant } from '../domain/instant';
import { canonicalZone } from '../domain/time-zone';
import { invalidRequest, type ErrorDetail } from '../errors';
import { firstOccurrence, validateRepeat } from '../scheduler/recurrence';
import { validateReminderTemplate, type TemplateCatalog } from '../wechat/templates';

const MAX_AHEAD_MS = 366 * 24 * 3600 * 1000; // a one-shot at most this far ahead

/**
 * What the route's schema already found: its problems, and the top-level names (in the
 * service's terms: `title`, `at`, `repeat`…) of the fields they concern, whose values the rules
 * below neither trust nor blame a second time.
 */
export interface Shape {
  problems: readonly ErrorDetail[];
  invalid: ReadonlySet<string>;
  /** How the route names the service's fields, where it differs (legacy `reminderTime` for `at`). */
  names?: Readonly<Record<string, string>>;
}

export const CLEAN_SHAPE: Shape = { problems: [], invalid: new Set() };

export interface ReminderDraft {
  title: string | undefined;
  detail: string;
  templateId: string;
  timezone: string;
  repeat: Repeat | null;
  data: Record<string, string> | null;
  /** `at` when the schedule is (re)computed; `retime: false` keeps `keptFireAt`. */
  at: number | string | undefined;
  retime: boolean;
  keptFireAt?: number;
}

export interface RuleContext {
  catalog: TemplateCatalog;
  defaultTimezone: string;
  now: number;
}

/** The fire time and the canonical zone once every rule holds; otherwise one ValidationError naming all problems. */
export function checkReminder(
  draft: ReminderDraft,
  shape: Shape,
  ctx: RuleContext,
): { fireAt: number; timezone: string } {
  const { invalid } = shape;
  const zone = invalid.has('timezone') ? null : canonicalZone(draft.timezone);
  const problems: ErrorDetail[] = [];
  if (!invalid.has('timezone') && zone === null) {
    problems.push({ path: 'timezone', message: 'must be an IANA time zone such as Asia/Shanghai' });
  }
  const scheduled = draft.retime
    ? schedule(draft, zone, invalid, ctx.now, problems)
    : (draft.keptFireAt ?? ctx.now);
  if (!invalid.has('templateId')) {
    const templateProblems = validateReminderTemplate(ctx.catalog, draft.templateId, {
      title: invalid.has('title') ? '' : (draft.title ?? ''),
      detail: invalid.has('detail') ? '' : draft.detail,
      fireAt: scheduled ?? ctx.now,
      timezone: zone ?? ctx.defaultTimezone,
      ...(draft.data && !invalid.has('data') ? { data: draft.data } : {}),
    });
    // A field the schema already refused is not blamed again for what it renders into.
    problems.push(...templateProblems.filter((p) => !invalid.has(p.path.split('.')[0] ?? '')));
  }
  const all = [...shape.problems, ...problems.map((p) => renamed(p, shape.names))];
  if (all.length > 0 || scheduled === null || zone === null) throw invalidRequest(all);
  return { fireAt: scheduled, timezone: zone };
}

function renamed(problem: ErrorDetail, names: Shape['names']): ErrorDetail {
  const [head = '', ...rest] = problem.path.split('.');
  const name = names?.[head];
  return name === undefined ? problem : { ...problem, path: [name, ...rest].join('.') };
}

/** The first fire time, or null with what is wrong with `at` or `repeat` added to `problems`. */
function schedule(
  draft: ReminderDraft,
  zone: string | null,
  invalid: ReadonlySet<string>,
  now: number,
  problems: ErrorDetail[],
): number | null {
  const { at, repeat } = draft;
  let repeatOk = repeat !== null && !invalid.has('repeat');
  if (repeatOk) {
    const problem = validateRepeat(repeat);
    if (problem) problems.push(problem);
    repeatOk = problem === null;
  }
  if (invalid.has('at')) return null;
  if (at === undefined) {
    if (repeat === null && !invalid.has('repeat'))
      problems.push({ path: 'at', message: 'at or repeat is required' });
    return repeatOk && zone !== null ? firstOccurrence(repeat as Repeat, zone, now) : null;
  }
  const parsed = typeof at === 'number' ? { ms: at } : parseIsoInstant(at);
  if (!('ms' in parsed)) {
    problems.push({ path: 'at', message: parsed.problem });
    return null;
  }
  if (!Number.isSafeInteger(parsed.ms)) {
    problems.push({ path: 'at', message: 'must be epoch milliseconds or ISO 8601 with an offset' });
    return null;
  }
  if (parsed.ms <= now) problems.push({ path: 'at', message: 'must be in the future' });
  else if (parsed.ms > now + MAX_AHEAD_MS)
    problems.push({ path: 'at', message: 'must be at most 366 days ahead' });
  else return parsed.ms;
  return null;
}
