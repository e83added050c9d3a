import { DateTime } from 'luxon';
import type { Reminder } from '../../src/domain/reminder';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import {
  afterSweeps,
  leaveBehind,
  uniquePrefix,
  useSandbox,
  waitFor,
  type TestInstance,
} from '../support/harness';

const env = useSandbox();
let sandbox: WeChatSandbox;
let t: TestInstance;

beforeAll(() => {
  ({ sandbox } = env);
});

/** A reminder as a previous run left it in Redis (its due time in the past). */
function leftBehind(t: TestInstance, title: string, nextFireAt: number, repeat: Reminder['repeat'] = null) {
  return leaveBehind(env, t, { title, nextFireAt, repeat });
}

async function restartWith(seed: (t: TestInstance) => Promise<string[]>) {
  t = await env.start({
    config: { redisPrefix: uniquePrefix() },
    tuning: { sweepIntervalMs: 200 },
    start: false,
  });
  const ids = await seed(t);
  await t.instance.start(); // the "restart": reconcile at start finds what was missed
  return ids;
}

describe('after a restart', () => {
  it('sends a one-shot missed by less than the grace, and records one missed by more as missed', async () => {
    const [late, old] = await restartWith(async (t) => [
      await leftBehind(t, 'late', Date.now() - 30_000),
      await leftBehind(t, 'old', Date.now() - 20 * 60_000),
    ]);
    await waitFor(async () => (await t.instance.store.get(old!))?.status === 'missed', 5000);
    await waitFor(async () => (await t.instance.store.get(late!))?.status === 'sent', 5000);
    expect(sandbox.sent.map((m) => m.data.thing1?.value)).toEqual(['late']);
    const deliveries = await t.instance.store.deliveries(old!);
    expect(deliveries[0]).toMatchObject({ result: 'missed', errcode: null });
  });

  it('sends a daily reminder that missed three days at most once and moves it to its next future slot', async () => {
    const zone = 'Asia/Shanghai';
    const slotToday = DateTime.now().setZone(zone).minus({ minutes: 2 }).startOf('minute');
    const daily = slotToday.toFormat('HH:mm');
    const threeDaysAgo = slotToday.minus({ days: 3 }).toMillis();
    const [id] = await restartWith(async (t) => [await leftBehind(t, 'daily', threeDaysAgo, { daily })]);
    await waitFor(() => sandbox.sent.length === 1, 5000);
    await afterSweeps(t); // the sweeps after the send, which would find another of the missed slots
    expect(sandbox.sent).toHaveLength(1);
    // The one send announces today's slot, the latest within the grace.
    expect(sandbox.sent[0]?.data.time2?.value).toBe(slotToday.toFormat('yyyy年M月d日 HH:mm'));
    const reminder = await waitFor(async () => {
      const r = await t.instance.store.get(id!);
      return r?.fireCount === 1 ? r : undefined;
    });
    expect(reminder.status).toBe('pending');
    expect(reminder.nextFireAt).toBe(slotToday.plus({ days: 1 }).toMillis());
    expect(await t.redis.zScore(t.instance.keys.due(t.instance.keys.reminderShard(id!)), id!)).toBe(
      slotToday.plus({ days: 1 }).toMillis(),
    );
  });

  it('records a daily reminder whose latest slot is older than the grace as missed and moves on without sending', async () => {
    const zone = 'Asia/Shanghai';
    const slotToday = DateTime.now().setZone(zone).minus({ minutes: 30 }).startOf('minute');
    const [id] = await restartWith(async (t) => [
      await leftBehind(t, 'stale daily', slotToday.minus({ days: 2 }).toMillis(), {
        daily: slotToday.toFormat('HH:mm'),
      }),
    ]);
    const reminder = await waitFor(async () => {
      const r = await t.instance.store.get(id!);
      return r?.fireCount === 1 ? r : undefined;
    });
    expect(sandbox.sent).toHaveLength(0);
    expect(reminder.lastResult?.errmsg).toBe('missed');
    expect(reminder.nextFireAt).toBe(slotToday.plus({ days: 1 }).toMillis());
  });
});
