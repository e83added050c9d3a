/**
 * CSV as Excel and WPS open it in China: UTF-8 with a BOM (without it, Excel reads Chinese as
 * GBK), CRLF line ends, every field quoted, and a leading `'` on any field that a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@`, tab, CR: CSV injection).
 */
const FORMULA = /^[=+\-@\t\r]/;

export function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = FORMULA.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function csv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
): string {
  const lines = [header, ...rows].map((row) => row.map(csvField).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
