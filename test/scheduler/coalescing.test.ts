import { DateTime } from 'luxon';
import type { Reminder } from '../../src/domain/reminder';
import {
  leaveBehind,
  sweepControl,
  TestClock,
  uniquePrefix,
  useSandbox,
  waitFor,
  type TestInstance,
} from '../support/harness';

// docs/architecture.md#coalescing-is-exact: however long an instance was down, a recurring reminder sends at
// most one message for the slots it missed — the latest one still within the grace — and moves
// on to its first slot after now.
const env = useSandbox();
const ZONE = 'Asia/Shanghai';
const SWEEP_MS = 200;

/**
 * The instance's clock: a day ahead of the real one and 30 s into a minute, so that a test cannot
 * cross a minute boundary while it runs, and the next minute's timer (set for a real day ahead)
 * cannot fire during it.
 */
function clockAtHalfMinute(): () => number {
  const ahead = Date.now() + 86_400_000;
  return new TestClock(86_400_000 + (30_000 - (ahead % 60_000))).now;
}

/** A reminder as a previous run left it in Redis (due in the past). */
function leftBehind(t: TestInstance, title: string, nextFireAt: number, repeat: Reminder['repeat']) {
  return leaveBehind(env, t, { title, nextFireAt, repeat });
}

describe('coalescing missed occurrences within the grace', () => {
  it('sends once for a cron every minute that missed its last three slots, and moves past now', async () => {
    const now = clockAtHalfMinute();
    const t = await env.start({
      config: { redisPrefix: uniquePrefix() }, // MISFIRE_GRACE_SECONDS 600, the default
      now,
      // No full sweep during the test: the next slot is held because the send recorded it.
      tuning: { sweepIntervalMs: SWEEP_MS, fullSweepEvery: 1000 },
      start: false,
    });
    const thisMinute = DateTime.fromMillis(now(), { zone: ZONE }).startOf('minute');
    // Down since before 2.5 minutes ago: slots at -2 min, -1 min and this minute came due meanwhile.
    const dueSlot = thisMinute.minus({ minutes: 2 }).toMillis();
    const id = await leftBehind(t, 'every minute', dueSlot, { cron: '* * * * *' });
    await t.instance.start(); // the restart

    await waitFor(() => env.sandbox.sent.length >= 1, 5000);
    // Positive control: reminders left behind after the first send are picked up by later sweeps,
    // the same sweeps that would carry any further send of the cron.
    await sweepControl(env, t, { times: 3 });

    const cronSends = env.sandbox.sent.filter((m) => m.data.thing1?.value === 'every minute');
    expect(cronSends).toHaveLength(1);
    // The one message announces the latest slot at or before now.
    expect(cronSends[0]?.data.time2?.value).toBe(thisMinute.toFormat('yyyy年M月d日 HH:mm'));
    const reminder = await t.instance.store.get(id);
    expect(reminder).toMatchObject({ status: 'pending', fireCount: 1 });
    const nextMinute = thisMinute.plus({ minutes: 1 }).toMillis();
    expect(reminder?.nextFireAt).toBe(nextMinute);
    expect(reminder?.nextFireAt).toBeGreaterThan(now());
    expect(await t.redis.zScore(t.instance.keys.due(t.instance.keys.reminderShard(id)), id)).toBe(nextMinute);
    expect(t.instance.scheduler.registry.fireAtOf(id)).toBe(nextMinute);
    const deliveries = await t.instance.store.deliveries(id);
    expect(deliveries.map((d) => [d.occurrence, d.result])).toEqual([[`${id}:${dueSlot}`, 'sent']]);
  });

  it('sends the claimed slot itself when no later slot has come due', async () => {
    const now = clockAtHalfMinute();
    const t = await env.start({
      config: { redisPrefix: uniquePrefix() },
      now,
      tuning: { sweepIntervalMs: SWEEP_MS },
      start: false,
    });
    const thisMinute = DateTime.fromMillis(now(), { zone: ZONE }).startOf('minute');
    const id = await leftBehind(t, 'hourly', thisMinute.toMillis(), { cron: `${thisMinute.minute} * * * *` });
    await t.instance.start();

    const reminder = await waitFor(async () => {
      const r = await t.instance.store.get(id);
      return r?.fireCount === 1 ? r : undefined;
    }, 5000);
    expect(env.sandbox.sent.map((m) => m.data.time2?.value)).toEqual([
      thisMinute.toFormat('yyyy年M月d日 HH:mm'),
    ]);
    expect(reminder.nextFireAt).toBe(thisMinute.plus({ hours: 1 }).toMillis());
  });
});
