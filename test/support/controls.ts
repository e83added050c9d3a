import { reminderToHash, type Reminder } from '../../src/domain/reminder';
import { waitFor } from '../../lab/wait';
import type { TestInstance } from './instance';
import { parseMetrics } from './metrics-text';
import type { SandboxEnv } from './sandbox';

/**
 * Writes a pending reminder straight into Redis, as a previous run left it: no timer holds it and
 * no pub/sub announces it, so only a sweep (or the reconcile at start) finds it. Resolves its id.
 */
export async function leaveBehind(
  env: Pick<SandboxEnv, 'sandbox'>,
  t: TestInstance,
  reminder: { title: string; nextFireAt: number; repeat?: Reminder['repeat']; user?: string },
): Promise<string> {
  const openid = env.sandbox.openIdFor(reminder.user ?? 'sleeper');
  const { id: _id, ...fields } = reminderToHash({
    id: '',
    openid,
    kind: 'reminder',
    title: reminder.title,
    detail: '',
    templateId: t.config.wx.templateId,
    page: '',
    timezone: 'Asia/Shanghai',
    repeat: reminder.repeat ?? null,
    data: null,
    cid: null,
    nextFireAt: reminder.nextFireAt,
    status: 'pending',
    createdAt: reminder.nextFireAt - 3_600_000,
    updatedAt: reminder.nextFireAt - 3_600_000,
  });
  const { id } = await t.instance.store.create(openid, fields, reminder.nextFireAt, {
    pendingLimit: 500,
    idempotencyTtlSeconds: 60,
  });
  return id;
}

/** The sandbox user the positive controls send to, apart from a test's own users. */
const CONTROL_USER = 'control';
let controls = 0;

/**
 * The positive control of a test that proves something did NOT happen (a second send, a send
 * after a cancel): `times` reminders in a row, each left behind due now by `t`'s clock and waited
 * for until WeChat has it. Each is found only by a sweep that reads what is overdue (the scheduler
 * is told, as the dispatcher tells it when it lets an occurrence go unrecorded) and goes through
 * claim, send and finish, so every sweep that could have done the forbidden thing has run, and had
 * the time to finish it.
 * Resolves the number of control messages sent (they count in the sandbox's `stats.sendCalls`).
 */
export async function sweepControl(
  env: Pick<SandboxEnv, 'sandbox'>,
  t: TestInstance,
  options: { times?: number; timeoutMs?: number } = {},
): Promise<number> {
  const times = options.times ?? 2;
  const openid = env.sandbox.openIdFor(CONTROL_USER);
  for (let i = 0; i < times; i++) {
    const title = `control ${++controls}`;
    await leaveBehind(env, t, { title, nextFireAt: t.now(), user: CONTROL_USER });
    t.instance.scheduler.letGo();
    await waitFor(() => env.sandbox.sent.some((m) => m.touser === openid && m.data.thing1?.value === title), {
      timeoutMs: options.timeoutMs ?? 10_000,
      what: `the positive control "${title}" to be sent`,
    });
  }
  return times;
}

/** Sweeps `t`'s scheduler has finished so far (ok or failed), from its own /metrics registry. */
export async function completedSweeps(t: TestInstance): Promise<number> {
  const samples = parseMetrics(await t.instance.metrics.render());
  return samples
    .filter((s) => s.name === 'tixing_sweep_duration_seconds_count')
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * The positive control when the control must be `t`'s own doing (other instances share its
 * Redis): waits until `t` has finished `count` more sweeps, each of which could have claimed what
 * the test says it did not.
 */
export async function afterSweeps(t: TestInstance, count = 2, timeoutMs = 10_000): Promise<void> {
  const target = (await completedSweeps(t)) + count;
  await waitFor(async () => (await completedSweeps(t)) >= target, { timeoutMs, what: `${count} sweeps` });
}

/** How a claim ended: `won` the occurrence, `refused` (another holder, or nothing due), `failed` (Redis). */
export type ClaimOutcome = 'won' | 'refused' | 'failed';

/**
 * Watches `t`'s claims (observed, not replaced): the positive control of a test that says nothing
 * was sent because nothing could be claimed, once `outcomes()` shows a claim was really tried.
 */
export function watchClaims(t: TestInstance): { outcomes(): Promise<ClaimOutcome[]> } {
  // The pipeline claims in batches (claimMany): one call's answer holds one result per occurrence.
  const spy = jest.spyOn(t.instance.store, 'claimMany');
  return {
    async outcomes() {
      const settled = await Promise.allSettled(
        spy.mock.results.map((r) => r.value as Promise<{ ok: boolean }[]>),
      );
      return settled.flatMap((s): ClaimOutcome[] =>
        s.status === 'rejected' ? ['failed'] : s.value.map((c) => (c.ok ? 'won' : 'refused')),
      );
    },
  };
}
