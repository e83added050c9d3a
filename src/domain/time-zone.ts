/**
 * Time zones as the API accepts them (docs/architecture.md#input-rules): IANA names in any letter case,
 * matched against a fixed table and answered in their canonical spelling, so that only that
 * spelling is ever stored, scheduled or formatted.
 *
 * Why a table: Intl and luxon accept a zone in any letter case, and luxon keeps a zone object and
 * an Intl formatter per spelling for good. Handing them what a client typed let 30,000 case
 * variants of one zone grow a process by a gigabyte, even on requests that ended in 400. Here
 * nothing a client sends reaches Intl or luxon, and nothing is remembered about a name the table
 * does not hold: the only caches are keyed by the table's own names.
 */
import { IANA_ZONE_NAMES } from './time-zone-names';

// The longest IANA name has 32 characters; anything much longer is not worth lower-casing.
const MAX_ZONE_LENGTH = 64;

let table: ReadonlyMap<string, string> | undefined;
// Whether this runtime's ICU knows a name of the table (an older Node may lack a newer zone).
// Bounded by the table: about 600 entries.
const runtimeKnows = new Map<string, boolean>();

/** lower-case name → canonical spelling, built on first use (tzdata's names and the runtime's own). */
function lookupTable(): ReadonlyMap<string, string> {
  if (table) return table;
  const built = new Map<string, string>();
  let area = '';
  for (const token of IANA_ZONE_NAMES.split(/\s+/)) {
    if (token === '') continue;
    if (token.endsWith('/')) {
      area = token === '/' ? '' : token;
      continue;
    }
    built.set(`${area}${token}`.toLowerCase(), `${area}${token}`);
  }
  // Zones newer than the list above still match when the runtime knows them.
  for (const name of Intl.supportedValuesOf('timeZone')) {
    if (!built.has(name.toLowerCase())) built.set(name.toLowerCase(), name);
  }
  table = built;
  return built;
}

function usable(name: string): boolean {
  let known = runtimeKnows.get(name);
  if (known === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
      known = true;
    } catch {
      known = false;
    }
    runtimeKnows.set(name, known);
  }
  return known;
}

/**
 * The canonical spelling of an IANA zone name given in any letter case (`asia/SHANGHAI` →
 * `Asia/Shanghai`, `utc` → `UTC`, `Etc/gmt-8` → `Etc/GMT-8`), or null for anything else. Links
 * keep their own name (`Asia/Calcutta` stays itself): both spellings are real IANA names.
 */
export function canonicalZone(input: unknown): string | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_ZONE_LENGTH) return null;
  const name = lookupTable().get(input.toLowerCase());
  return name !== undefined && usable(name) ? name : null;
}

/** How many names the table holds: the bound of every cache keyed by a zone. */
export function knownZoneCount(): number {
  return lookupTable().size;
}
