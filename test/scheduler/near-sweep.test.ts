import { afterSweeps, useSandbox, waitFor, type TestInstance } from '../support/harness';

// The sweep is the safety net under pub/sub. Here reminders are re-timed in Redis with no event,
// as an edit whose message was lost while the subscriber reconnected. A near sweep reads what is
// overdue and the part of the near window (6 s at least) no read has covered since pub/sub last
// (re)connected; the whole 15-minute horizon only every `fullSweepEvery`-th sweep.
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
  it('reads a slot as it enters the near window, and what it read once not again while pub/sub is up', async () => {
    // A 3 s horizon makes the near window 3 s, so a slot 5 s ahead enters it during the test.
    const t = await env.start({
      tuning: { sweepIntervalMs: SWEEP_MS, fullSweepEvery: 1000, horizonMs: 3000 },
    });
    await afterSweeps(t, 1);
    const ahead = await retimedUnannounced(t, 'ahead', 2000, 3000); // 5 s ahead: not read yet
    const read = await retimedUnannounced(t, 'read', 2500, 300); // 2.8 s ahead: read already
    const { registry } = t.instance.scheduler;
    await afterSweeps(t, 3);
    // The one re-timed in the part already read keeps its timer (its claim would find nothing).
    expect(Date.now()).toBeLessThan(read.at);
    expect(registry.fireAtOf(read.id)).toBe(read.at);
    // The positive control: the same sweeps go on to load the slot that entered the window
    // unannounced, before it is due.
    await waitFor(() => registry.fireAtOf(ahead.id) === ahead.moved, { what: 'the slot ahead loaded' });
    expect(Date.now()).toBeLessThan(ahead.moved);
  });

  it('re-reads the near window once the subscriber is back from a lost connection', async () => {
    const t = await env.start({ tuning: { sweepIntervalMs: SWEEP_MS, fullSweepEvery: 1000 } });
    await afterSweeps(t, 1);
    const near = await retimedUnannounced(t, 'near', 4000, 1000);
    const { registry } = t.instance.scheduler;
    await afterSweeps(t, 3);
    expect(registry.fireAtOf(near.id)).toBe(near.at); // read already, no event: unchanged
    await t.redis.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await waitFor(() => registry.fireAtOf(near.id) === near.moved, { what: 'the near reminder re-timed' });
    expect(Date.now()).toBeLessThan(near.at);
  });

  it('reads what is overdue once the dispatcher let an occurrence go unrecorded', async () => {
    const t = await env.start({ tuning: { sweepIntervalMs: SWEEP_MS, fullSweepEvery: 1000 } });
    await afterSweeps(t, 1);
    // Moved 59.5 s earlier in Redis alone: due in 0.5 s, its timer still a minute away.
    const early = await retimedUnannounced(t, 'early', 60_000, -59_500);
    await waitFor(() => Date.now() > early.moved, { what: 'the moved slot due' });
    await afterSweeps(t, 3);
    // Every occurrence handed over was recorded: the sweeps do not re-read the overdue part.
    expect(env.sandbox.sent).toHaveLength(0);
    // Another one is claimed elsewhere (a 1 s lease): its timer fires, the claim is refused, the
    // dispatcher lets it go, and the next sweep reads what is overdue: both are sent.
    const openid = env.sandbox.openIdFor('sweeper');
    const slot = Date.now() + 300;
    const { reminder } = await t.instance.reminders.create(openid, { title: 'elsewhere', at: slot });
    expect((await t.instance.store.claim(reminder.id, slot, 'another-instance', 1000)).ok).toBe(true);
    await waitFor(() => env.sandbox.sent.length === 2, { what: 'both sent' });
    expect(env.sandbox.sent.map((m) => m.data.thing1?.value)).toEqual(['early', 'elsewhere']);
    expect(Date.now()).toBeLessThan(early.at);
  });

  it('re-reads the whole horizon every fullSweepEvery-th sweep', async () => {
    const t = await env.start({ tuning: { sweepIntervalMs: SWEEP_MS, fullSweepEvery: 3 } });
    const far = await retimedUnannounced(t, 'far', 5 * 60_000, 60_000);
    await afterSweeps(t, 4); // one of any three is a full sweep
    expect(t.instance.scheduler.registry.fireAtOf(far.id)).toBe(far.moved);
  });
});
