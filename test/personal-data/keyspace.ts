import type { KeyFamily } from '../../src/services/personal-data';
import type { Redis } from '../../src/store/redis';

/** One key under a test's prefix, read whole: its name without the prefix, its type and its parts. */
export interface StoredKey {
  name: string;
  type: string;
  value?: string; // string
  fields?: Record<string, string>; // hash
  items?: string[]; // list, set
  scored?: { value: string; score: number }[]; // zset
}

/** Every key under `prefix`, read whole (SCAN, then one read per key). */
export async function readKeyspace(redis: Redis, prefix: string): Promise<StoredKey[]> {
  const out: StoredKey[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    for (const key of batch as unknown as string[]) {
      const type = await redis.type(key);
      const name = key.slice(prefix.length);
      if (type === 'string') out.push({ name, type, value: (await redis.get(key)) ?? '' });
      else if (type === 'hash') out.push({ name, type, fields: await redis.hGetAll(key) });
      else if (type === 'list') out.push({ name, type, items: await redis.lRange(key, 0, -1) });
      else if (type === 'set') out.push({ name, type, items: await redis.sMembers(key) });
      else if (type === 'zset') out.push({ name, type, scored: await redis.zRangeWithScores(key, 0, -1) });
      else out.push({ name, type });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Who a test's subject is: their openid, and the ids of records only they own (their reminders). */
export interface Subject {
  openid: string;
  ids: ReadonlySet<string>;
}

const occurrenceOf = (subject: Subject, text: string) => {
  const colon = text.indexOf(':');
  return colon > 0 && subject.ids.has(text.slice(0, colon)) && /^\d+$/.test(text.slice(colon + 1));
};

/** Whether a stored text names the subject: holds their openid, or is an occurrence `<id>:<slot>` of theirs. */
function textNames(subject: Subject, text: string): boolean {
  return text.includes(subject.openid) || occurrenceOf(subject, text);
}

/**
 * Why a key names the subject, or null: its name (their openid, or one of their ids as a segment),
 * a field, value or list item (their openid, one of their occurrences), or a set/zset member (their
 * openid, or one of their ids).
 */
export function namesSubject(subject: Subject, key: StoredKey): string | null {
  if (key.name.includes(subject.openid)) return 'its name holds the openid';
  if (key.name.split(':').some((segment) => subject.ids.has(segment))) return 'its name holds an id';
  if (key.value !== undefined && textNames(subject, key.value)) return 'its value';
  for (const [field, value] of Object.entries(key.fields ?? {})) {
    if (textNames(subject, field) || textNames(subject, value)) return `its field ${field}`;
  }
  for (const item of key.items ?? []) {
    if (textNames(subject, item) || subject.ids.has(item)) return 'a member or item';
  }
  for (const { value } of key.scored ?? []) {
    if (textNames(subject, value) || subject.ids.has(value)) return 'a member';
  }
  return null;
}

/** The members of a shared key that name the subject (the rest are other people's). */
function subjectMembers(subject: Subject, key: StoredKey): StoredKey {
  const mine = (v: string) => textNames(subject, v) || subject.ids.has(v);
  return {
    ...key,
    ...(key.fields
      ? { fields: Object.fromEntries(Object.entries(key.fields).filter(([f, v]) => mine(f) || mine(v))) }
      : {}),
    ...(key.items ? { items: key.items.filter(mine) } : {}),
    ...(key.scored ? { scored: key.scored.filter((m) => mine(m.value)) } : {}),
  };
}

/** The declared family a key belongs to (its pattern matched with the subject's openid), if any. */
export function familyOf<F extends KeyFamily>(
  subject: Subject,
  families: readonly F[],
  name: string,
): F | undefined {
  return families.find((f) => patternRegex(f.pattern, subject.openid).test(name));
}

function patternRegex(pattern: string, openid: string): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const split = pattern.split(/(<[a-z]+>)/i);
  const parts = split.map((part, i) => {
    if (part === '<openid>') return escape(openid);
    // One segment; the last placeholder takes the rest (an Idempotency-Key may hold ':').
    if (/^<[a-z]+>$/i.test(part)) return i === split.length - 2 && split[i + 1] === '' ? '.+' : '[^:]+';
    return escape(part);
  });
  return new RegExp(`^${parts.join('')}$`);
}

/** Every primitive of a JSON value, as text: keys and values, at any depth. */
function flatten(value: unknown, out: string[] = []): string[] {
  if (value === null || value === undefined) return out;
  if (Array.isArray(value)) {
    for (const v of value) flatten(v, out);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      flatten(v, out);
    }
  } else {
    out.push(String(value));
  }
  return out;
}

/** A stored text's atoms: a JSON document's primitives, or the text itself; nothing for ''. */
function atomsOfText(text: string): string[] {
  if (text === '') return [];
  try {
    return flatten(JSON.parse(text) as unknown);
  } catch {
    return [text];
  }
}

/**
 * What an export must contain of a stored key: every field name and value, item, member and score
 * (JSON values by their primitives), except the parts its family does not export and, of a
 * shared key, the members of other people.
 */
export function atomsOfKey(subject: Subject, key: StoredKey, family: KeyFamily): string[] {
  const hidden = new Set(family.notExported ?? []);
  const k = family.shared ? subjectMembers(subject, key) : key;
  const atoms: string[] = [];
  if (k.value !== undefined && !hidden.has('value')) atoms.push(...atomsOfText(k.value));
  for (const [field, value] of Object.entries(k.fields ?? {})) {
    if (hidden.has(field)) continue;
    atoms.push(field, ...atomsOfText(value));
  }
  if (!hidden.has('members')) for (const item of k.items ?? []) atoms.push(...atomsOfText(item));
  for (const { value, score } of k.scored ?? []) {
    if (!hidden.has('members')) atoms.push(value);
    atoms.push(String(score));
  }
  return atoms;
}

/** The atoms of an export document; an ISO time also counts as its epoch milliseconds. */
export function atomsOfExport(doc: unknown): Set<string> {
  const atoms = new Set<string>();
  for (const atom of flatten(doc)) {
    atoms.add(atom);
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(atom)) atoms.add(String(Date.parse(atom)));
  }
  return atoms;
}
