import request from 'supertest';
import type { DeliveryAttempt } from '../../src/domain/reminder';
import type { TestInstance } from '../support/harness';

/** Small timings so that retries, pauses and sweeps play out in well under a second each. */
export const FAST_TUNING = {
  backoffBaseMs: 20,
  sweepIntervalMs: 200,
  pauseMs: 1500,
  wxTimeoutMs: 300,
  leaseMs: 5000,
  drainTimeoutMs: 2000,
};

export const api = (t: TestInstance) => request(t.instance.app.callback());

/** Polls `probe` until it returns something other than undefined; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Logs in through the sandbox (`alice#1` → alice's openid) and returns the bearer header value. */
export async function login(t: TestInstance, code: string): Promise<string> {
  const res = await api(t).post('/api/login').send({ code });
  if (res.status !== 200)
    throw new Error(`login ${code} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return `Bearer ${(res.body as { data: { token: string } }).data.token}`;
}

export interface ReminderView {
  id: string;
  status: string;
  fireCount: number;
  lastResult: { errcode: number | null; errmsg: string; msgid: string | null } | null;
  deliveries: DeliveryAttempt[];
}

/** Creates a reminder through the API, due at `at` (epoch ms, default 300 ms from now); returns its id. */
export async function createReminder(
  t: TestInstance,
  auth: string,
  title: string,
  at = Date.now() + 300,
): Promise<string> {
  const res = await api(t).post('/api/reminders').set('Authorization', auth).send({ title, at });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { data: { id: string } }).data.id;
}

export async function getReminder(t: TestInstance, auth: string, id: string): Promise<ReminderView> {
  const res = await api(t).get(`/api/reminders/${id}`).set('Authorization', auth);
  if (res.status !== 200) throw new Error(`GET reminder ${id} answered ${res.status}`);
  return (res.body as { data: ReminderView }).data;
}

/** Waits until the reminder has left `pending` and returns it as GET /api/reminders/:id shows it. */
export function settled(
  t: TestInstance,
  auth: string,
  id: string,
  timeoutMs = 10_000,
): Promise<ReminderView> {
  return waitFor(
    `reminder ${id} to leave pending`,
    async () => {
      const view = await getReminder(t, auth, id);
      return view.status === 'pending' ? undefined : view;
    },
    timeoutMs,
    25,
  );
}

/** The reminder's attempts, oldest first (the API lists the newest first). */
export function attemptsOf(view: ReminderView): Pick<DeliveryAttempt, 'attempt' | 'result' | 'errcode'>[] {
  return [...view.deliveries]
    .sort((a, b) => a.attempt - b.attempt)
    .map(({ attempt, result, errcode }) => ({ attempt, result, errcode }));
}
