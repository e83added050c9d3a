/**
 * Reading `at` (README.md#http-api): epoch milliseconds, or ISO 8601 with an offset. The string is read field
 * by field rather than with Date.parse, which moves impossible dates to another day
 * (`2027-02-30T08:00+08:00` became March 2): a date that does not exist is refused instead.
 */

export const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:Z|([+-])(\d{2}):?(\d{2}))$/;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  return last.getUTCDate();
}

/**
 * Epoch milliseconds of an ISO 8601 time with offset, or a problem phrased to follow the field's
 * name (`must be a real date: February 2027 has 28 days`).
 */
export function parseIsoInstant(text: string): { ms: number } | { problem: string } {
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m)
    return { problem: 'must be ISO 8601 with an offset (2026-11-21T08:30:00+08:00) or epoch milliseconds' };
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(
    Number,
  ) as [number, number, number, number, number, number];
  const fraction = Number((m[7] ?? '').padEnd(3, '0'));
  if (month < 1 || month > 12) return { problem: `must be a real date: there is no month ${m[2]}` };
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) {
    return { problem: `must be a real date: ${MONTHS[month - 1]} ${year} has ${days} days` };
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return { problem: 'must be a real time of day: hours 00–23, minutes and seconds 00–59' };
  }
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  if (offsetHours > 23 || offsetMinutes > 59) return { problem: 'must have an offset from -23:59 to +23:59' };
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, second, fraction);
  const sign = m[8] === '-' ? -1 : 1;
  return { ms: wall.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000 };
}
