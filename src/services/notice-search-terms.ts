import type { Notice } from '../domain/notice';

/**
 * How notice text is matched (docs/architecture.md#notice-search): both sides NFKC-normalised
 * (full-width Ｅｘａｍ and half-width Exam are one text) and lower-cased, then compared by
 * substring, so Chinese needs no word segmentation (`期末` finds `期末考试安排`) and Latin is
 * case-insensitive. The index keeps every character (for one-character queries) and every pair
 * of neighbouring characters of a notice: the candidates of a query are the notices holding all of
 * its pairs, and a real substring test on each candidate decides, so a match is never false.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

// Pairs with a space or a control character are not kept: they say little, and cost memory.
const SKIP = /[\s\p{C}]/u;

/** Every character and every pair of neighbouring characters of normalised `text`. */
export function textGrams(text: string, into: Set<string> = new Set()): Set<string> {
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (SKIP.test(c)) continue;
    into.add(c);
    const next = chars[i + 1];
    if (next !== undefined && !SKIP.test(next)) into.add(c + next);
  }
  return into;
}

/**
 * The pairs a query is looked up by (its characters when it has one). Empty when the query is
 * only spaces between single characters: then every notice is a candidate.
 */
export function queryGrams(normalizedQuery: string): string[] {
  const chars = Array.from(normalizedQuery);
  if (chars.length === 1) return SKIP.test(chars[0] as string) ? [] : chars;
  const grams = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) {
    const pair = (chars[i] as string) + (chars[i + 1] as string);
    if (!SKIP.test(pair)) grams.add(pair);
  }
  if (grams.size === 0) for (const c of chars) if (!SKIP.test(c)) grams.add(c);
  return [...grams];
}

/** A term of the index: a text gram (`t:`), a category (`c:`), an urgency (`u:`), or every notice. */
export type Term = string;
export const ALL_TERM: Term = 'all';
export const textTerm = (gram: string): Term => `t:${gram}`;
export const categoryTerm = (category: string): Term => `c:${category}`;
export const urgencyTerm = (urgency: string): Term => `u:${urgency}`;

/** Every term a notice is indexed under. */
export function noticeTerms(notice: Pick<Notice, 'title' | 'body' | 'category' | 'urgency'>): Term[] {
  const grams = textGrams(normalizeText(notice.body), textGrams(normalizeText(notice.title)));
  return [ALL_TERM, categoryTerm(notice.category), urgencyTerm(notice.urgency), ...[...grams].map(textTerm)];
}

/** Whether a notice's title or body holds the normalised query. */
export function matchesText(notice: Pick<Notice, 'title' | 'body'>, normalizedQuery: string): boolean {
  return (
    normalizeText(notice.title).includes(normalizedQuery) ||
    normalizeText(notice.body).includes(normalizedQuery)
  );
}
