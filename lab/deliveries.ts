import type { SentMessage } from '../src/sandbox/wechat-sandbox';
import type { Lab } from './lab';
import { sleep, waitFor } from './wait';

export interface PlannedReminder {
  user: string; // a sandbox user (its openid is the lab's openid(user))
  title: string; // unique per reminder: the sandbox sees it as data.thing1, which is how sends are matched
  at: number; // epoch ms
}

/**
 * `count` reminders named `<tag><i>`, the i-th due at `at(i)`, spread over `users` sandbox users
 * (a user may hold 500 pending).
 */
export function plan(tag: string, count: number, at: (i: number) => number, users = 100): PlannedReminder[] {
  return Array.from({ length: count }, (_, i) => ({
    user: `${tag}-user${i % users}`,
    title: `${tag}${i}`,
    at: at(i),
  }));
}

/**
 * Creates the reminders through the product's create path (the lab's creator instance: Lua create
 * + pub/sub), `concurrency` at a time. Resolves the ids in plan order and the time it took.
 */
export async function createAll(
  lab: Lab,
  planned: PlannedReminder[],
  concurrency = 32,
): Promise<{ ids: string[]; ms: number }> {
  const creator = lab.creator();
  const ids: string[] = new Array<string>(planned.length);
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < planned.length) {
      const i = next++;
      const p = planned[i] as PlannedReminder;
      const { reminder } = await creator.reminders.create(lab.openid(p.user), { title: p.title, at: p.at });
      ids[i] = reminder.id;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ids, ms: Math.round(performance.now() - started) };
}

export interface Tally {
  expected: number;
  sends: number; // messages the sandbox accepted for these reminders
  delivered: number; // reminders sent at least once
  lost: number; // reminders never sent
  duplicated: number; // sends beyond the first, summed over reminders
  unexpected: number; // accepted messages matching no planned reminder
}

/** Matches the sandbox's accepted messages to the planned reminders by title. */
export function tally(sent: readonly SentMessage[], planned: readonly PlannedReminder[]): Tally {
  const counts = new Map<string, number>(planned.map((p) => [p.title, 0]));
  let unexpected = 0;
  for (const m of sent) {
    const title = m.data.thing1?.value ?? '';
    const n = counts.get(title);
    if (n === undefined) unexpected += 1;
    else counts.set(title, n + 1);
  }
  let delivered = 0;
  let duplicated = 0;
  for (const n of counts.values()) {
    if (n > 0) delivered += 1;
    if (n > 1) duplicated += n - 1;
  }
  return {
    expected: planned.length,
    sends: sent.length - unexpected,
    delivered,
    lost: planned.length - delivered,
    duplicated,
    unexpected,
  };
}

/** Lateness of each accepted send, ms: the sandbox's accept time minus the planned time (first send). */
export function lateness(sent: readonly SentMessage[], planned: readonly PlannedReminder[]): number[] {
  const due = new Map(planned.map((p) => [p.title, p.at]));
  const seen = new Set<string>();
  const out: number[] = [];
  for (const m of sent) {
    const title = m.data.thing1?.value ?? '';
    const at = due.get(title);
    if (at === undefined || seen.has(title)) continue;
    seen.add(title);
    out.push(m.at - at);
  }
  return out;
}

/**
 * Waits until nothing is left to do: the due index is empty, no claim is held, and the sandbox
 * has accepted nothing new for `quietMs` (so late duplicates are counted), having accepted at least
 * `minSent` in all. Resolves false on timeout.
 */
export async function settle(
  lab: Lab,
  options: { timeoutMs: number; quietMs?: number; minSent?: number },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  const quietMs = options.quietMs ?? 1500;
  let lastCount = -1;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    const count = lab.sandbox.sent.length;
    if (count !== lastCount) {
      lastCount = count;
      quietSince = Date.now();
    }
    const enough = count >= (options.minSent ?? 0);
    // Redis is asked only once the sends are in and have gone quiet: a SCAN of the keyspace every
    // 200 ms during a drain loads the redis-server under test (and counts in its CPU), the more
    // so the more keys the system under test keeps.
    if (enough && Date.now() - quietSince >= quietMs) {
      const idle = await Promise.all([lab.dueCount(), lab.claims()]).then(
        ([due, claims]) => due === 0 && claims.length === 0,
        () => false,
      );
      if (idle) return true;
    }
    await sleep(200);
  }
  return false;
}

/** Resolves true once the sandbox has accepted at least `n` messages, false after `timeoutMs`. */
export function untilSent(lab: Lab, n: number, timeoutMs: number): Promise<boolean> {
  return waitFor(() => lab.sandbox.sent.length >= n, { timeoutMs, everyMs: 5 }).catch(() => false);
}
