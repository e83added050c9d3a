/**
 * The rules of a new promise only a service can check, merged with the route's shape problems
 * into one 400 (docs/architecture.md#input-rules): the daily reminder's (time, zone, its template's
 * field rules) and what the promise template makes of `detail` in what the other party is told.
 */
import { dailyTime } from '../domain/promise';
import { canonicalZone } from '../domain/time-zone';
import { invalidRequest, ValidationError, type ErrorDetail } from '../errors';
import { validateReminderTemplate, type TemplateCatalog } from '../wechat/templates';
import { LONGEST_TITLE, STATES, type NoticeTarget } from './promise-notices';
import { checkReminder, type Shape } from './reminder-rules';

export interface PromiseInput {
  cid?: string | number; // the original client's counterpart id, echoed back
  hour: number;
  min: number;
  detail?: string;
  counterpartName?: string;
  timezone?: string;
}

export interface PromiseRuleContext {
  catalog: TemplateCatalog;
  defaultTimezone: string;
  reminder: { templateId: string; title: string }; // the daily reminder's template and title
  notices: NoticeTarget; // the promise template
  now: number;
}

/** The canonical zone and `HH:mm` once every rule holds; otherwise one ValidationError naming all problems. */
export function checkPromise(
  input: Partial<PromiseInput>,
  shape: Shape,
  ctx: PromiseRuleContext,
): { timezone: string; daily: string } {
  const { catalog, defaultTimezone, now } = ctx;
  const daily =
    input.hour !== undefined && input.min !== undefined ? dailyTime(input.hour, input.min) : '00:00';
  const detail = input.detail ?? '';
  const problems: ErrorDetail[] = [];
  let timezone = canonicalZone(input.timezone ?? defaultTimezone) ?? defaultTimezone;
  try {
    const draft = {
      title: ctx.reminder.title,
      detail,
      templateId: ctx.reminder.templateId,
      timezone: input.timezone ?? defaultTimezone,
      repeat: { daily },
      data: null,
      at: undefined,
      retime: true,
    };
    ({ timezone } = checkReminder(draft, shape, { catalog, defaultTimezone, now }));
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    problems.push(...(err.details ?? []));
  }
  // A catalogue without the promise template (a test's own) has nothing to say here; a deployment's
  // always has it (checked at start, src/instance.ts).
  if (catalog.has(ctx.notices.templateId) && !shape.invalid.has('detail')) {
    const { stateKey } = ctx.notices;
    const told = validateReminderTemplate(catalog, ctx.notices.templateId, {
      title: LONGEST_TITLE,
      detail,
      fireAt: now,
      timezone,
      ...(stateKey ? { data: { [stateKey]: STATES.missed } } : {}),
    });
    for (const problem of told) {
      if (problem.path === 'detail' && !problems.some((p) => p.path === 'detail')) problems.push(problem);
    }
  }
  if (problems.length > 0) throw invalidRequest(problems);
  return { timezone, daily };
}
