import { afterSweeps, useSandbox, waitFor, type TestInstance } from '../support/harness';

// The sweep is the safety net under pub/sub: here two reminders are re-timed in Redis with no
// event (as an edit whose message was lost in a reconnect). A sweep reads the near part of the due
// index (6 s at least); the whole 15-minute horizon only every `fullSweepEvery`-th sweep.
// docs/architecture.md#only-a-short-horizon-is-held-in-memory
const env = useSandbox();
const SWEEP_MS = 100;

/** Creates a reminder due in `inMs` and moves it `byMs` later in Redis alone; its new time. */
async function retimedUnannounced(t: TestInstance, title: string, inMs: number, byMs: number) {
  const openid = env.sandbox.openIdFor('sweeper');
  const at = Date.now() + inMs;
  const { reminder } = await t.instance.reminders.create(openid, { title, at });
  const { keys, store } = t.instance;
  const moved = at + byMs;
  await t.redis.zAdd(keys.due(store.shardOf(reminder.id)), { score: moved, value: reminder.id });
  await t.redis.hSet(keys.reminder(reminder.id), 'nextFireAt', String(moved));
  return { id: reminder.id, at, moved };
}

describe('the sweep', () => {
  it('re-reads the next seconds of the due index each time, not the whole horizon', async () => {
    const t = await env.start({ tuning: { sweepIntervalMs: SWEEP_MS, fullSweepEvery: 1000 } });
    const near = await retimedUnannounced(t, 'near', 4000, 1000);
    const far = await retimedUnannounced(t, 'far', 5 * 60_000, 60_000);
    const { registry } = t.instance.scheduler;
    // The positive control: the same sweeps re-time the one due within the near window.
    await waitFor(() => registry.fireAtOf(near.id) === near.moved, { what: 'the near reminder re-timed' });
    await afterSweeps(t, 5);
    expect(registry.fireAtOf(far.id)).toBe(far.at);
    expect(registry.fireAtOf(near.id)).toBe(near.moved);
  });

  it('re-reads the whole horizon every fullSweepEvery-th sweep', async () => {
    const t = await env.start({ tuning: { sweepIntervalMs: SWEEP_MS, fullSweepEvery: 3 } });
    const far = await retimedUnannounced(t, 'far', 5 * 60_000, 60_000);
    await afterSweeps(t, 4); // one of any three is a full sweep
    expect(t.instance.scheduler.registry.fireAtOf(far.id)).toBe(far.moved);
  });
});
