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
 * recheck runs in a short-lived child process, one per batch of patterns (those asked for in the
 * same turn: a rule table's): the checker (2.9 MB of JavaScript, ~8 MB of heap once loaded, and the
 * native agent it starts and keeps, ~19 MB) is never held by an instance, and the event loop never
 * runs the analysis itself. In the child, recheck uses its native build where the platform package
 * is installed, and a worker thread otherwise.
 */
import { execFile } from 'node:child_process';

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

/** recheck's answer for one pattern, as the child reports it. */
interface Verdict {
  status: 'safe' | 'vulnerable' | 'unknown';
  summary?: string; // vulnerable: the complexity, e.g. "exponential"
  attack?: string; // vulnerable: a string that makes it backtrack
}

// The child: reads {patterns, flags, timeout} on stdin, checks them in turn with recheck (its path
// is the first argument) and writes the verdicts as JSON.
const CHECKER = `
const { check } = require(process.argv[1]);
let input = '';
process.stdin.setEncoding('utf8').on('data', (d) => (input += d)).on('end', async () => {
  const { patterns, flags, timeout } = JSON.parse(input);
  const verdicts = [];
  for (const pattern of patterns) {
    const d = await check(pattern, flags, { timeout });
    verdicts.push(d.status === 'vulnerable'
      ? { status: d.status, summary: d.complexity.summary, attack: d.attack.pattern.slice(0, 60) }
      : { status: d.status });
  }
  process.stdout.write(JSON.stringify(verdicts), () => process.exit(0));
});`;

let batch: { pattern: string; resolve: (v: Verdict) => void; reject: (err: Error) => void }[] = [];

function analyse(pattern: string): Promise<string | null> {
  return new Promise<Verdict>((resolve, reject) => {
    if (batch.push({ pattern, resolve, reject }) === 1) queueMicrotask(checkBatch);
  }).then(problemOf);
}

function checkBatch(): void {
  const asked = batch;
  batch = [];
  const child = execFile(
    process.execPath,
    ['-e', CHECKER, require.resolve('recheck')],
    { timeout: CHECK_TIMEOUT_MS * asked.length + 10_000, maxBuffer: 1 << 20 },
    (err, stdout) => {
      let verdicts: Verdict[] | undefined;
      try {
        verdicts = err ? undefined : (JSON.parse(stdout) as Verdict[]);
      } catch {
        // not JSON: each caller is refused below
      }
      asked.forEach(({ resolve, reject }, i) => {
        const verdict = verdicts?.[i];
        if (verdict) resolve(verdict);
        else reject(new Error(`the regex checker failed: ${err?.message ?? 'no verdict'}`));
      });
    },
  );
  child.stdin?.end(
    JSON.stringify({ patterns: asked.map((a) => a.pattern), flags: REGEX_FLAGS, timeout: CHECK_TIMEOUT_MS }),
  );
}

function problemOf(verdict: Verdict): string | null {
  if (verdict.status === 'safe') return null;
  if (verdict.status === 'vulnerable') {
    return `could run away (${verdict.summary ?? 'super-linear'} backtracking, e.g. on ${verdict.attack ?? '?'}): refused`;
  }
  return 'could not be proven safe from runaway backtracking: refused (simplify it, or use keyword or contains)';
}
