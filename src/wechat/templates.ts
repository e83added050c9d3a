/**
 * The template catalogue (`config/templates.json`): how a reminder fills each subscribe-message
 * template, and the checks that keep a reminder from ever reaching WeChat with data it refuses.
 *
 * File shape: `{ "<templateId>": { "<key>": "<pattern>" } }`, where a pattern is text with the
 * placeholders `{{title}}`, `{{detail}}` and `{{fireTime}}`, e.g. `{"thing1": "{{title}}"}`.
 */
import { readFileSync } from 'node:fs';
import { canonicalZone } from '../domain/time-zone';
import { checkTemplateData, FIELD_TYPES, fieldRuleViolation, fieldType, type FieldType } from './field-rules';

export const PLACEHOLDERS = ['title', 'detail', 'fireTime'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * What an empty `{{detail}}` renders as: 无 ("none"). Detail is optional on a reminder but a
 * `thing` field may not be empty, and 无 is valid in every text-like field (thing, short_thing,
 * name, phrase) and reads naturally in the Chinese message card.
 */
export const EMPTY_DETAIL_FALLBACK = '无';

export interface TemplateField {
  key: string;
  type: FieldType;
  pattern: string;
  /** Placeholders of the pattern in order of appearance, without repeats. */
  placeholders: readonly Placeholder[];
}

export interface TemplateDefinition {
  id: string;
  fields: readonly TemplateField[];
}

/** Template id → definition, as loaded and checked by loadTemplates. */
export type TemplateCatalog = ReadonlyMap<string, TemplateDefinition>;

export interface TemplateVars {
  title: string;
  /** Optional on a reminder; empty renders as EMPTY_DETAIL_FALLBACK. */
  detail: string;
  /** Epoch milliseconds of the fire being announced. */
  fireAt: number;
  /** IANA zone the reminder's time is shown in, e.g. `Asia/Shanghai`. */
  timezone: string;
  /** Per-reminder values by template key; they replace the pattern's rendering. */
  data?: Record<string, string>;
}

/** The config file is unusable; `problems` lists every defect, each naming template and key. */
export class TemplateConfigError extends Error {
  override readonly name = 'TemplateConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: ${problems.length} problem(s): ${problems.join('; ')}`);
  }
}

export class UnknownTemplateError extends Error {
  override readonly name = 'UnknownTemplateError';
  constructor(
    readonly templateId: string,
    readonly known: readonly string[],
  ) {
    super(`unknown template ${templateId} (configured: ${known.join(', ') || 'none'})`);
  }
}

/** The timezone cannot be used to render `{{fireTime}}`. */
export class TemplateRenderError extends Error {
  override readonly name = 'TemplateRenderError';
}

const PLACEHOLDER_RE = /\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

// An instant whose rendering is as long as any (two-digit month and day in every zone from UTC−12
// to UTC+14): what a `{{fireTime}}` field must have room for whichever day a reminder fires on.
const LONGEST_FIRE_AT = Date.UTC(2026, 10, 21, 0, 30);

/** Builds a catalogue from parsed JSON; `source` names the origin in error messages. */
export function parseTemplates(json: unknown, source = 'templates'): TemplateCatalog {
  const problems: string[] = [];
  const catalog = new Map<string, TemplateDefinition>();
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TemplateConfigError(source, ['must be a JSON object of template id → { key: pattern }']);
  }
  for (const [id, spec] of Object.entries(json)) {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      problems.push(`template ${id} must be an object of key → pattern`);
      continue;
    }
    const entries = Object.entries(spec as Record<string, unknown>);
    if (entries.length === 0) problems.push(`template ${id} has no fields`);
    const fields: TemplateField[] = [];
    for (const [key, pattern] of entries) {
      const where = `template ${id} key ${key}`;
      const type = fieldType(key);
      if (type === null) {
        problems.push(`${where}: unknown field type prefix (known: ${FIELD_TYPES.join(', ')})`);
        continue;
      }
      if (typeof pattern !== 'string') {
        problems.push(`${where}: pattern must be a string`);
        continue;
      }
      const placeholders: Placeholder[] = [];
      for (const [, name = ''] of pattern.matchAll(PLACEHOLDER_RE)) {
        if (!isPlaceholder(name)) {
          problems.push(`${where}: unknown placeholder {{${name}}} (known: ${PLACEHOLDERS.join(', ')})`);
        } else if (!placeholders.includes(name)) {
          placeholders.push(name);
        }
      }
      const field: TemplateField = { key, type, pattern, placeholders };
      // Without title or detail the rendering depends on nothing a user types, so a pattern that
      // cannot fit its field (a constant too long, a time in a number field) is a config error now
      // rather than a 400 for every reminder later.
      if (!placeholders.includes('title') && !placeholders.includes('detail')) {
        const sample = renderField(field, {
          title: '',
          detail: '',
          fireAt: LONGEST_FIRE_AT,
          timezone: 'UTC',
        });
        const violation = fieldRuleViolation(key, sample);
        if (violation !== null)
          problems.push(`${where}: "${pattern}" renders as "${sample}", which ${violation}`);
      }
      fields.push(field);
    }
    catalog.set(id, { id, fields });
  }
  if (problems.length > 0) throw new TemplateConfigError(source, problems);
  return catalog;
}

/** Reads and checks the catalogue file; throws TemplateConfigError listing every problem. */
export function loadTemplates(filePath: string): TemplateCatalog {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(filePath, 'utf8'));
  } catch (err) {
    throw new TemplateConfigError(filePath, [`cannot be read as JSON: ${(err as Error).message}`]);
  }
  return parseTemplates(json, filePath);
}

// Canonical zone → its formatter. Bounded by the zone table (~600 names): canonicalZone never
// hands out anything else. One Intl.DateTimeFormat.format is several times cheaper than luxon's
// fromMillis + toFormat, which was a tenth of a create's CPU.
const formatters = new Map<string, Intl.DateTimeFormat>();
// Canonical zone → `{{fireTime}}` of LONGEST_FIRE_AT as [date form, time form]: the same for every
// create in that zone, so the repeat check of validateReminderTemplate formats nothing.
const longestByZone = new Map<string, readonly [string, string]>();
const MAX_DATE_MS = 8.64e15; // the last instant a Date can hold
// en-US with hourCycle h23 formats as `11/21/2026, 08:30`; anything else falls back to parts.
const EN_US_WALL_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4}), (\d{2}):(\d{2})$/;

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** [year, month, day, hour, minute] of `fireAt` on the wall clock of `zone`, hour and minute 2-digit. */
function wallClock(fireAt: number, zone: string): [string, string, string, string, string] | null {
  const formatter = formatterFor(zone);
  const match = EN_US_WALL_TIME.exec(formatter.format(fireAt));
  if (match) return [match[3] ?? '', match[1] ?? '', match[2] ?? '', match[4] ?? '', match[5] ?? ''];
  // A year outside 1000–9999 or an ICU that spells en-US otherwise: read the parts instead.
  const part = { year: '', month: '', day: '', hour: '', minute: '' };
  for (const { type, value } of formatter.formatToParts(fireAt)) {
    if (type in part) part[type as keyof typeof part] = value;
  }
  if (!/^\d{4}$/.test(part.year)) return null; // luxon's yyyy would differ; no reminder gets here
  return [part.year, part.month, part.day, part.hour.padStart(2, '0'), part.minute.padStart(2, '0')];
}

/** `{{fireTime}}` in the form the field type accepts: `time` and text fields get 2026年11月21日 08:30, `date` 2026-11-21 08:30. */
export function formatFireTime(type: FieldType, fireAt: number, timezone: string): string {
  // Occurrences due together (a spike, a notice's recipients) announce the same instant in the same
  // zone: the last answer is the next one's.
  const last = lastFireTime;
  if (last.fireAt === fireAt && last.type === type && last.timezone === timezone) return last.value;
  // Reminders set for one minute (08:30) in one zone show the same text: remembered per minute.
  // Every zone's offset has been whole minutes since 1972, so the minute decides the text.
  const key =
    fireAt >= WHOLE_MINUTE_OFFSETS_SINCE ? `${type} ${timezone} ${Math.floor(fireAt / 60_000)}` : '';
  let value = key ? byMinute.get(key) : undefined;
  if (value === undefined) {
    value = formatFireTimeOnce(type, fireAt, timezone);
    if (key) {
      if (byMinute.size >= BY_MINUTE_MAX) byMinute.clear();
      byMinute.set(key, value);
    }
  }
  lastFireTime = { type, fireAt, timezone, value };
  return value;
}

const WHOLE_MINUTE_OFFSETS_SINCE = Date.UTC(1973, 0, 1);
const BY_MINUTE_MAX = 4096; // a day of minutes in a few zones; emptied when full
const byMinute = new Map<string, string>();

let lastFireTime: { type: FieldType | null; fireAt: number; timezone: string; value: string } = {
  type: null,
  fireAt: NaN,
  timezone: '',
  value: '',
};

function formatFireTimeOnce(type: FieldType, fireAt: number, timezone: string): string {
  // Intl keeps what it learns about a zone for good: it only ever sees canonical spellings.
  const zone = canonicalZone(timezone);
  // Past ±8.64e15 ms there is no Date, and Intl would throw a RangeError where luxon was invalid.
  const wall = zone === null || !(Math.abs(fireAt) <= MAX_DATE_MS) ? null : wallClock(fireAt, zone);
  if (!wall) throw new TemplateRenderError(`cannot show a time in timezone ${JSON.stringify(timezone)}`);
  const [year, month, day, hour, minute] = wall;
  return type === 'date'
    ? `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')} ${hour}:${minute}`
    : `${year}年${month}月${day}日 ${hour}:${minute}`;
}

/** formatFireTime of LONGEST_FIRE_AT, formatted once per zone. */
function longestFireTime(type: FieldType, timezone: string): string {
  const zone = canonicalZone(timezone) ?? timezone;
  let both = longestByZone.get(zone);
  if (!both) {
    // Throws for an unusable zone before anything is cached.
    both = [formatFireTime('date', LONGEST_FIRE_AT, zone), formatFireTime('time', LONGEST_FIRE_AT, zone)];
    longestByZone.set(zone, both);
  }
  return type === 'date' ? both[0] : both[1];
}

/** `longest`: `{{fireTime}}` as on LONGEST_FIRE_AT instead of `vars.fireAt`. */
function renderField(field: TemplateField, vars: TemplateVars, longest = false): string {
  return field.pattern.replace(PLACEHOLDER_RE, (whole, name: string) => {
    switch (name) {
      case 'title':
        return vars.title;
      case 'detail':
        return vars.detail.trim() === '' ? EMPTY_DETAIL_FALLBACK : vars.detail;
      case 'fireTime':
        return longest
          ? longestFireTime(field.type, vars.timezone)
          : formatFireTime(field.type, vars.fireAt, vars.timezone);
      default:
        // Unreachable for a loaded catalogue: unknown placeholders are refused by parseTemplates.
        return whole;
    }
  });
}

function getTemplate(catalog: TemplateCatalog, templateId: string): TemplateDefinition {
  const template = catalog.get(templateId);
  if (!template) throw new UnknownTemplateError(templateId, [...catalog.keys()]);
  return template;
}

/**
 * The `data` of a subscribe-message send for a reminder. Overrides in `vars.data` replace the
 * pattern of their key; overrides for keys the template lacks are left out (WeChat would not show
 * them). Throws UnknownTemplateError, or TemplateRenderError for an unusable timezone.
 */
export function renderTemplateData(
  catalog: TemplateCatalog,
  templateId: string,
  vars: TemplateVars,
): Record<string, { value: string }> {
  const template = getTemplate(catalog, templateId);
  const data: Record<string, { value: string }> = {};
  for (const field of template.fields) {
    const override = vars.data?.[field.key];
    data[field.key] = { value: override ?? renderField(field, vars) };
  }
  return data;
}

/** `{path, message}` for a rendered value that breaks its rule, blaming what fed the value. */
function describeProblem(
  templateId: string,
  field: TemplateField,
  value: string,
  violation: string,
  overridden: boolean,
): { path: string; message: string } {
  if (overridden) return { path: `data.${field.key}`, message: `data.${field.key} ${violation}` };
  const typed = field.placeholders.filter((p) => p === 'title' || p === 'detail');
  const [first] = typed;
  if (first === undefined) {
    // Only fixed text and the fire time: nothing the user typed, so the template choice is at fault.
    return {
      path: 'templateId',
      message: `template ${templateId} renders ${field.key} as "${value}", which ${violation}`,
    };
  }
  const verb = typed.length === 1 ? 'renders' : 'render';
  return { path: first, message: `${typed.join(' and ')} ${verb} into ${field.key}, which ${violation}` };
}

/**
 * Problems the reminder would meet at send time, as `{path, message}` naming the reminder field
 * (`title`, `detail`, `data.<key>`, `templateId`, `timezone`) and the template key it fills.
 */
export function validateReminderTemplate(
  catalog: TemplateCatalog,
  templateId: string,
  vars: TemplateVars,
): { path: string; message: string }[] {
  const template = catalog.get(templateId);
  if (!template) {
    return [
      { path: 'templateId', message: new UnknownTemplateError(templateId, [...catalog.keys()]).message },
    ];
  }
  const problems: { path: string; message: string }[] = [];
  const given = vars.data ? Object.keys(vars.data) : [];
  if (given.length > 0) {
    const keys = new Set(template.fields.map((f) => f.key));
    for (const key of given) {
      if (keys.has(key)) continue;
      problems.push({
        path: `data.${key}`,
        message: `data.${key} is not a field of template ${templateId} (fields: ${[...keys].join(', ')})`,
      });
    }
  }
  let data: Record<string, { value: string }>;
  try {
    data = renderTemplateData(catalog, templateId, vars);
  } catch (err) {
    if (err instanceof TemplateRenderError) return [...problems, { path: 'timezone', message: err.message }];
    throw err;
  }
  const reported = new Set<string>();
  for (const { key } of checkTemplateData(data)) {
    const field = template.fields.find((f) => f.key === key);
    const entry = data[key];
    if (!field || !entry) continue;
    const violation = fieldRuleViolation(key, entry.value) ?? 'is invalid';
    problems.push(describeProblem(templateId, field, entry.value, violation, vars.data?.[key] !== undefined));
    reported.add(key);
  }
  // A repeating reminder fires on other days than fireAt, and 1月1日 is shorter than 11月21日: a
  // value that fits today but not on the longest date would fail at some later send.
  for (const field of template.fields) {
    if (reported.has(field.key) || vars.data?.[field.key] !== undefined) continue;
    if (!field.placeholders.includes('fireTime')) continue;
    const value = renderField(field, vars, true);
    const violation = fieldRuleViolation(field.key, value);
    if (violation !== null) {
      problems.push(
        describeProblem(templateId, field, value, `${violation} on days such as 11月21日`, false),
      );
    }
  }
  return problems;
}
