import type { DeliveryAttempt } from '../../src/domain/reminder';
import { api, bearer, waitFor, type TestInstance } from '../support/harness';

/** Small timings so that retries, pauses and sweeps play out in well under a second each. */
export const FAST_TUNING = {
  backoffBaseMs: 20,
  sweepIntervalMs: 200,
  pauseMs: 1500,
  wxTimeoutMs: 300,
  leaseMs: 5000,
  drainTimeoutMs: 2000,
};

export interface ReminderView {
  id: string;
  status: string;
  fireCount: number;
  lastResult: { errcode: number | null; errmsg: string; msgid: string | null } | null;
  deliveries: DeliveryAttempt[];
}

/**
 * Creates a reminder through the API as the session of `token`, due at `at` (epoch ms, default
 * 300 ms from now); returns its id.
 */
export async function createReminder(
  t: TestInstance,
  token: string,
  title: string,
  at = Date.now() + 300,
): Promise<string> {
  const res = await api(t).post('/api/reminders').set(bearer(token)).send({ title, at });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { data: { id: string } }).data.id;
}

export async function getReminder(t: TestInstance, token: string, id: string): Promise<ReminderView> {
  const res = await api(t).get(`/api/reminders/${id}`).set(bearer(token));
  if (res.status !== 200) throw new Error(`GET reminder ${id} answered ${res.status}`);
  return (res.body as { data: ReminderView }).data;
}

/** Waits until the reminder has left `pending` and returns it as GET /api/reminders/:id shows it. */
export function settled(
  t: TestInstance,
  token: string,
  id: string,
  timeoutMs = 10_000,
): Promise<ReminderView> {
  return waitFor(
    async () => {
      const view = await getReminder(t, token, id);
      return view.status === 'pending' ? undefined : view;
    },
    { timeoutMs, everyMs: 25, what: `reminder ${id} to leave pending` },
  );
}

/** The reminder's attempts, oldest first (the API lists the newest first). */
export function attemptsOf(view: ReminderView): Pick<DeliveryAttempt, 'attempt' | 'result' | 'errcode'>[] {
  return [...view.deliveries]
    .sort((a, b) => a.attempt - b.attempt)
    .map(({ attempt, result, errcode }) => ({ attempt, result, errcode }));
}
