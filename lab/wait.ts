/** What `waitFor` waits at most, how often it looks, and what the failure message calls the wait. */
export interface WaitOptions {
  timeoutMs?: number; // default 10 s
  everyMs?: number; // default 20 ms
  what?: string; // e.g. 'the pause': "… waiting for the pause"
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Polls `check` until it returns a truthy value and resolves that value; rejects once `timeoutMs`
 * has passed. The one polling loop of the tests, the drills and the benchmarks: a number instead of
 * options is the timeout.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: number | WaitOptions = {},
): Promise<Truthy<Awaited<T>>> {
  const {
    timeoutMs = 10_000,
    everyMs = 20,
    what,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<Awaited<T>>;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what ?? 'the condition'}`);
    }
    await sleep(everyMs);
  }
}

/**
 * Waits a fixed time. In a test, never the proof that something did not happen: pair it with a
 * positive control (test/support/controls.ts), or use the instance's clock.
 */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
