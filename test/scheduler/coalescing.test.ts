import { DateTime } from 'luxon';
import { reminderToHash, type Reminder } from '../../src/domain/reminder';
import {
  sleep,
  startInstance,
  uniquePrefix,
  useSandbox,
  waitFor,
  type TestInstance,
} from '../support/harness';

// SPEC §5 "Coalescing is exact": however long an instance was down, a recurring reminder sends at
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
  const offset = 86_400_000 + (30_000 - (ahead % 60_000));
  return () => Date.now() + offset;
}

/** Writes a reminder straight into Redis as a previous run left it (due in the past). */
async function leftBehind(t: TestInstance, title: string, nextFireAt: number, repeat: Reminder['repeat']) {
  const openid = env.sandbox.openIdFor('sleeper');
  const { id: _id, ...fields } = reminderToHash({
    id: '',
    openid,
    kind: 'reminder',
    title,
    detail: '',
    templateId: t.config.wx.templateId,
    page: '',
    timezone: ZONE,
    repeat,
    data: null,
    cid: null,
    nextFireAt,
    status: 'pending',
    createdAt: nextFireAt - 3_600_000,
    updatedAt: nextFireAt - 3_600_000,
  });
  const { id } = await t.instance.store.create(openid, fields, nextFireAt, {
    pendingLimit: 500,
    idempotencyTtlSeconds: 60,
  });
  return id;
}

describe('coalescing missed occurrences within the grace', () => {
  it('sends once for a cron every minute that missed its last three slots, and moves past now', async () => {
    const now = clockAtHalfMinute();
    const t = await startInstance({
      wxBase: env.url,
      config: { redisPrefix: uniquePrefix() }, // MISFIRE_GRACE_SECONDS 600, the default
      now,
      tuning: { sweepIntervalMs: SWEEP_MS },
      start: false,
    });
    env.running.push(t);
    const thisMinute = DateTime.fromMillis(now(), { zone: ZONE }).startOf('minute');
    // Down since before 2.5 minutes ago: slots at -2 min, -1 min and this minute came due meanwhile.
    const dueSlot = thisMinute.minus({ minutes: 2 }).toMillis();
    const id = await leftBehind(t, 'every minute', dueSlot, { cron: '* * * * *' });
    await t.instance.start(); // the restart

    await waitFor(() => env.sandbox.sent.length >= 1, 5000);
    // Positive control: a reminder left behind after the first send is picked up by a later sweep,
    // the same sweeps that would carry any further send of the cron.
    await leftBehind(t, 'control', now() - 30_000, null);
    await waitFor(() => env.sandbox.sent.some((m) => m.data.thing1?.value === 'control'), 5000);
    await sleep(3 * SWEEP_MS);

    const cronSends = env.sandbox.sent.filter((m) => m.data.thing1?.value === 'every minute');
    expect(cronSends).toHaveLength(1);
    // The one message announces the latest slot at or before now.
    expect(cronSends[0]?.data.time2?.value).toBe(thisMinute.toFormat('yyyy年M月d日 HH:mm'));
    const reminder = await t.instance.store.get(id);
    expect(reminder).toMatchObject({ status: 'pending', fireCount: 1 });
    const nextMinute = thisMinute.plus({ minutes: 1 }).toMillis();
    expect(reminder?.nextFireAt).toBe(nextMinute);
    expect(reminder?.nextFireAt).toBeGreaterThan(now());
    expect(await t.redis.zScore(t.instance.keys.due(), id)).toBe(nextMinute);
    const deliveries = await t.instance.store.deliveries(id);
    expect(deliveries.map((d) => [d.occurrence, d.result])).toEqual([[`${id}:${dueSlot}`, 'sent']]);
  });

  it('sends the claimed slot itself when no later slot has come due', async () => {
    const now = clockAtHalfMinute();
    const t = await startInstance({
      wxBase: env.url,
      config: { redisPrefix: uniquePrefix() },
      now,
      tuning: { sweepIntervalMs: SWEEP_MS },
      start: false,
    });
    env.running.push(t);
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
