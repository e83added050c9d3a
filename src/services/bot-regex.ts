/**
 * The guard on the bot's `regex` rules (docs/architecture.md#customer-service). A rule's pattern
 * runs on every text a user sends, on the event loop, so one that can backtrack for seconds
 * (`(a+)+$`, `(a|a)*$`, `\s*\s*$`) would stall the instance for everyone. Three bounds:
 *
 * 1. a pattern is at most REGEX_MAX_CHARS long and must compile (flag `i`);
 * 2. it must be proven safe by recheck (makenowjust-labs/recheck), a ReDoS checker that decides
 *    super-linear backtracking by automata theory (falling back to fuzzing), exponential and
 *    polynomial alike — which the usual star-height heuristics (safe-regex) miss for overlapping
 *    alternations such as `(a|a)*`. Only `safe` passes: `vulnerable`, and `unknown` (it could not
 *    decide within CHECK_TIMEOUT_MS, e.g. back-references), are refused;
 * 3. it only ever sees the first MATCH_INPUT_CHARS characters of a message.
 *
 * recheck runs its native build (a child process it starts once) where the platform package is
 * installed, and a worker thread otherwise: the event loop never runs the analysis itself.
 */
import type * as Recheck from 'recheck';

export const REGEX_MAX_CHARS = 100;
export const REGEX_FLAGS = 'i';
/** How much of a message `contains` and `regex` rules read. */
export const MATCH_INPUT_CHARS = 500;
const CHECK_TIMEOUT_MS = 5000;
const VERDICTS_KEPT = 500; // patterns whose verdict is remembered (a rule table is re-sent whole)

const verdicts = new Map<string, Promise<string | null>>();

/** Why `pattern` may not be a rule, or null when it may; cached per pattern (bounded). */
export function regexProblem(pattern: string): Promise<string | null> {
  if (pattern.length > REGEX_MAX_CHARS) {
    return Promise.resolve(`must be at most ${REGEX_MAX_CHARS} characters`);
  }
  const syntax = compileProblem(pattern);
  if (syntax) return Promise.resolve(syntax);
  let verdict = verdicts.get(pattern);
  if (!verdict) {
    verdict = analyse(pattern);
    if (verdicts.size >= VERDICTS_KEPT) verdicts.delete(verdicts.keys().next().value as string);
    verdicts.set(pattern, verdict);
    // A failure of the checker itself is not remembered: the next table tries again.
    verdict.catch(() => verdicts.delete(pattern));
  }
  return verdict;
}

/** Why `pattern` does not compile as a JavaScript regular expression, or null. */
export function compileProblem(pattern: string): string | null {
  try {
    new RegExp(pattern, REGEX_FLAGS);
    return null;
  } catch (err) {
    return `is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`;
  }
}

async function analyse(pattern: string): Promise<string | null> {
  // Loaded when the first pattern is checked (2.9 MB of JavaScript), not with this module.
  const { check } = require('recheck') as typeof Recheck;
  const diagnostics = await check(pattern, REGEX_FLAGS, { timeout: CHECK_TIMEOUT_MS });
  if (diagnostics.status === 'safe') return null;
  if (diagnostics.status === 'vulnerable') {
    const attack = diagnostics.attack.pattern.slice(0, 60);
    return `could run away (${diagnostics.complexity.summary} backtracking, e.g. on ${attack}): refused`;
  }
  return 'could not be proven safe from runaway backtracking: refused (simplify it, or use keyword or contains)';
}
