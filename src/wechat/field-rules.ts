/**
 * Value rules of subscribe-message fields (docs/wechat.md#field-rules, WeChat's 订阅消息参数值内容限制说明).
 *
 * A value that breaks its rule makes WeChat answer 47003 at send time, when nobody can fix it any
 * more; these checks run when a reminder is created so the mistake is a 400 instead. Where the
 * official table is vague the rules below lean strict: rejecting a value WeChat might accept costs
 * a clear 400 today, accepting one it refuses costs a silently lost reminder later.
 *
 * Lengths count Unicode code points, the way WeChat counts: one CJK character is one.
 */

export const FIELD_TYPES = [
  'thing',
  'number',
  'letter',
  'symbol',
  'character_string',
  'time',
  'date',
  'amount',
  'phone_number',
  'car_number',
  'name',
  'phrase',
  'enum',
  'short_thing',
] as const;

export type FieldType = (typeof FIELD_TYPES)[number];

// Longest first so that a longer type name is never shadowed by a shorter one it contains.
const PREFIXES_LONGEST_FIRST: readonly FieldType[] = [...FIELD_TYPES].sort((a, b) => b.length - a.length);

/**
 * The field type named by a template key: `thing1` → `thing`, `short_thing3` → `short_thing`.
 * WeChat keys are the type followed by the keyword's number, so anything after the prefix must be
 * digits (`thingy1` is not a `thing`). Null for an unknown prefix.
 */
export function fieldType(key: string): FieldType | null {
  for (const prefix of PREFIXES_LONGEST_FIRST) {
    if (key.startsWith(prefix) && /^\d*$/.test(key.slice(prefix.length))) return prefix;
  }
  return null;
}

/** Length in Unicode code points, so a CJK character or an astral emoji counts as one. */
export function charCount(value: string): number {
  let n = 0;
  // for…of walks code points, unlike .length which counts UTF-16 units.
  for (const _ of value) n++;
  return n;
}

const HAN = /^\p{Script=Han}$/u;
// "Symbols" in WeChat's table: punctuation and symbol characters of any script (- + # ¥ ，…).
const SYMBOL_CHAR = /^[\p{P}\p{S}]$/u;
const ASCII_LETTER = /^[A-Za-z]$/;
const ASCII_ALNUM = /^[A-Za-z0-9]$/;

const isHan = (c: string): boolean => HAN.test(c);
const isSymbol = (c: string): boolean => SYMBOL_CHAR.test(c);
const isLetter = (c: string): boolean => ASCII_LETTER.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

function tooLong(max: number, got: number): string {
  return `must be at most ${max} characters (got ${got})`;
}

// ---- time and date ------------------------------------------------------------------------------

// 24-hour clock, two-digit hour as in WeChat's example `15:01`. Seconds are refused: WeChat has
// answered 47003 to `2023-03-24 11:50:00` on a time field.
const CLOCK = '(?:[01]\\d|2[0-3]):[0-5]\\d';
// `2019年10月1日` (the documented form; zero padding tolerated) or `2019-12-25`.
const CJK_DATE = '(\\d{4})年(\\d{1,2})月(\\d{1,2})日';
const ISO_DATE = '(\\d{4})-(\\d{2})-(\\d{2})';

const CLOCK_ONLY = new RegExp(`^${CLOCK}$`);
const DATE_ONLY = new RegExp(`^(?:${CJK_DATE}|${ISO_DATE})$`);
const DATE_CLOCK = new RegExp(`^(?:${CJK_DATE}|${ISO_DATE}) ${CLOCK}$`);

type Instant = 'clock' | 'date' | 'date+clock';

function realDate(y: string | undefined, m: string | undefined, d: string | undefined): boolean {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (!(month >= 1 && month <= 12 && day >= 1)) return false;
  // Day 0 of the next month is the last day of this one; UTC avoids any local-zone surprises.
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function dateGroupsValid(match: RegExpExecArray): boolean {
  // Either the CJK groups (1–3) or the ISO groups (4–6) took part in the match.
  return match[1] !== undefined
    ? realDate(match[1], match[2], match[3])
    : realDate(match[4], match[5], match[6]);
}

function classifyInstant(text: string): Instant | null {
  if (CLOCK_ONLY.test(text)) return 'clock';
  const dateOnly = DATE_ONLY.exec(text);
  if (dateOnly) return dateGroupsValid(dateOnly) ? 'date' : null;
  const dateClock = DATE_CLOCK.exec(text);
  if (dateClock) return dateGroupsValid(dateClock) ? 'date+clock' : null;
  return null;
}

function splitRange(value: string): string[] {
  // Spaces around `~` are tolerated; a second `~` is not a range WeChat documents.
  return value.split('~').map((part) => part.trim());
}

function checkTime(value: string): string | null {
  const parts = splitRange(value);
  const shape = 'must be a 24-hour time like 15:01 or 2019年10月1日 15:01 (a range joins two with ~)';
  if (parts.length > 2) return shape;
  for (const part of parts) {
    const kind = classifyInstant(part);
    // A time field needs a clock reading; a bare date belongs in a date field.
    if (kind !== 'clock' && kind !== 'date+clock') return shape;
  }
  return null;
}

function checkDate(value: string): string | null {
  const parts = splitRange(value);
  const shape = 'must be a date like 2019年10月1日 or 2019-12-25 09:42 (a range joins two with ~)';
  if (parts.length > 2) return shape;
  const [start, end] = parts.map(classifyInstant);
  if (start !== 'date' && start !== 'date+clock') return shape;
  if (end === undefined) return null;
  // `2019年10月1日 15:01~16:00` ends on the same day, so its end may be a bare clock reading.
  if (end === 'date' || end === 'date+clock' || (end === 'clock' && start === 'date+clock')) return null;
  return shape;
}

// ---- the other types ----------------------------------------------------------------------------

function checkAmount(value: string): string | null {
  const match = /^(\p{Sc})?(\d+)(?:\.(\d+))?(元)?$/u.exec(value);
  const shape = 'must be an amount like ¥100.50 or 100元 (one currency sign, at most 10 digits)';
  if (!match) return shape;
  // The table's "10位以内纯数字" is read as all digits, decimals included: the strict reading.
  const digits = (match[2] ?? '').length + (match[3] ?? '').length;
  return digits <= 10 ? null : shape;
}

function checkCarNumber(chars: string[]): string | null {
  if (chars.length > 8) return tooLong(8, chars.length);
  const last = chars.length - 1;
  const ok = chars.every((c, i) => ASCII_ALNUM.test(c) || ((i === 0 || i === last) && isHan(c)));
  return ok
    ? null
    : 'must be a plate like 粤A8Z888挂 (letters and digits; only the first and last may be Chinese)';
}

function checkName(chars: string[]): string | null {
  if (chars.some(isHan)) {
    // WeChat counts a mixed Chinese/Latin name as a Chinese name: ten characters at most.
    const ok = chars.every((c) => isHan(c) || isLetter(c) || c === '·');
    if (!ok) return 'must be a name of Chinese characters (mixed with letters at most 10 in all)';
    return chars.length <= 10 ? null : tooLong(10, chars.length);
  }
  // Spaces inside Latin names ("Mary Ann") are allowed: the table is silent and such names are common.
  const ok = chars.every((c) => isLetter(c) || isSymbol(c) || c === ' ');
  if (!ok) return 'must be a name of Chinese characters, or of letters and symbols';
  return chars.length <= 20 ? null : tooLong(20, chars.length);
}

/** The rule broken by a non-empty value, phrased to follow the key: `must be at most …`. */
function ruleViolation(type: FieldType, value: string): string | null {
  if (type === 'time' || type === 'date') return instantViolation(type, value);
  const chars = [...value];
  const n = chars.length;
  switch (type) {
    case 'thing':
      return n <= 20 ? null : tooLong(20, n);
    case 'short_thing':
      // WeChat does not publish this limit; 5 is the lowest seen in templates.
      return n <= 5 ? null : tooLong(5, n);
    case 'enum':
      // The allowed values live in the template on WeChat's side and are not known here: only
      // the general shape is checked and WeChat has the last word.
      return n <= 20 ? null : tooLong(20, n);
    case 'number':
      if (!/^\d+(?:\.\d+)?$/.test(value)) return 'must be a number (digits, optionally with decimals)';
      return n <= 32 ? null : tooLong(32, n);
    case 'letter':
      if (!chars.every(isLetter)) return 'must contain only letters A–Z, a–z';
      return n <= 32 ? null : tooLong(32, n);
    case 'symbol':
      if (!chars.every(isSymbol)) return 'must contain only symbols';
      return n <= 5 ? null : tooLong(5, n);
    case 'character_string':
      if (!chars.every((c) => ASCII_ALNUM.test(c) || isSymbol(c))) {
        return 'must contain only digits, letters and symbols (no spaces, no Chinese)';
      }
      return n <= 32 ? null : tooLong(32, n);
    case 'phone_number':
      if (!chars.every((c) => isDigit(c) || isSymbol(c))) {
        return 'must contain only digits and symbols, like +86-0766-66888866';
      }
      return n <= 17 ? null : tooLong(17, n);
    case 'phrase':
      if (!chars.every(isHan)) return 'must contain only Chinese characters';
      return n <= 5 ? null : tooLong(5, n);
    case 'amount':
      return checkAmount(value);
    case 'car_number':
      return checkCarNumber(chars);
    case 'name':
      return checkName(chars);
  }
}

// A time or date field shows one of few values (a fire time, formatted once a minute): each is
// checked once. Emptied when full.
const instantChecks = new Map<string, string | null>();
const INSTANT_CHECKS_MAX = 4096;

function instantViolation(type: 'time' | 'date', value: string): string | null {
  const key = `${type} ${value}`;
  const known = instantChecks.get(key);
  if (known !== undefined) return known;
  const violation = type === 'time' ? checkTime(value) : checkDate(value);
  if (instantChecks.size >= INSTANT_CHECKS_MAX) instantChecks.clear();
  instantChecks.set(key, violation);
  return violation;
}

/**
 * The rule `value` breaks, without naming the key (`must be at most 20 characters (got 21)`), or
 * null when valid. Callers that phrase their own subject (`title renders into thing1, which …`)
 * use this; everyone else uses checkFieldValue.
 */
export function fieldRuleViolation(key: string, value: string): string | null {
  const type = fieldType(key);
  if (type === null) return `is not a known field type (known: ${FIELD_TYPES.join(', ')})`;
  // WeChat reports blank values as empty ("data.time14.value is empty"), so whitespace is empty too.
  if (value.trim() === '') return 'must not be empty';
  return ruleViolation(type, value);
}

/** Null when `value` is acceptable for the template key, else e.g. `thing1 must be at most 20 characters (got 21)`. */
export function checkFieldValue(key: string, value: string): string | null {
  const violation = fieldRuleViolation(key, value);
  return violation === null ? null : `${key} ${violation}`;
}

/** Every broken rule of a subscribe-message `data` object, in key order. */
export function checkTemplateData(
  data: Record<string, { value: string }>,
): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  for (const [key, entry] of Object.entries(data)) {
    // Values come from JSON bodies too (the sandbox), where a number or a missing value can appear.
    const value: unknown = (entry as { value?: unknown } | null)?.value;
    const message =
      typeof value === 'string' ? checkFieldValue(key, value) : `${key} must have a string value`;
    if (message !== null) problems.push({ key, message });
  }
  return problems;
}
