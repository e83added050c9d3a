import { DateTime } from 'luxon';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import {
  afterSweeps,
  api,
  bearer,
  login,
  sweepControl,
  TestClock,
  useSandbox,
  waitFor,
  type TestInstance,
} from '../support/harness';
import { data, errorBody, type ReminderDetailView, type ReminderView } from '../support/api-types';

// docs/architecture.md#done-and-snooze: POST /api/reminders/:id/done.
const env = useSandbox();
let sandbox: WeChatSandbox;
let t: TestInstance;
let alice: string;
let bob: string;

beforeAll(async () => {
  ({ sandbox } = env);
  t = await env.start({ tuning: { sweepIntervalMs: 200 } });
  alice = await login(t, 'alice#1');
  bob = await login(t, 'bob#1');
});

async function create(token: string, body: object): Promise<ReminderView> {
  const res = await api(t).post('/api/reminders').set(bearer(token)).send(body);
  expect(res.status).toBe(201);
  return data<ReminderView>(res);
}

const done = (token: string, id: string) => api(t).post(`/api/reminders/${id}/done`).set(bearer(token));
const detail = async (token: string, id: string) =>
  data<ReminderDetailView>(await api(t).get(`/api/reminders/${id}`).set(bearer(token)));
/** A daily time three hours from now in Asia/Shanghai: a snooze of 30 minutes always fits before it. */
const inThreeHours = () => DateTime.now().setZone('Asia/Shanghai').plus({ hours: 3 }).toFormat('HH:mm');
const sentTo = (user: string) => sandbox.sent.filter((m) => m.touser === sandbox.openIdFor(user));

describe('POST /api/reminders/:id/done', () => {
  it('marks a pending one-shot done: never sent, its job gone, while another due then is sent', async () => {
    const at = Date.now() + 1500;
    const mine = await create(alice, { title: '吃药', at });
    const control = await create(bob, { title: '对照', at });
    expect(t.instance.scheduler.registry.has(mine.id)).toBe(true);

    const res = await done(alice, mine.id);

    expect(res.status).toBe(200);
    expect(data<ReminderView>(res)).toMatchObject({ id: mine.id, status: 'done', nextFireAt: null });
    expect(t.instance.scheduler.registry.has(mine.id)).toBe(false);
    expect(
      await t.redis.zScore(t.instance.keys.due(t.instance.keys.reminderShard(mine.id)), mine.id),
    ).toBeNull();
    // The positive control: the reminder due at the same instant is sent, and the sweeps after it
    // (which would find a left-over due entry) have run.
    await waitFor(() => sentTo('bob').length === 1, { what: 'the control reminder' });
    await afterSweeps(t);
    expect(sentTo('alice')).toEqual([]);
    expect(sentTo('bob').map((m) => m.data.thing1?.value)).toEqual(['对照']);
    expect(await detail(alice, mine.id)).toMatchObject({ status: 'done', fireCount: 0, deliveries: [] });
    expect((await detail(bob, control.id)).status).toBe('sent');
  });

  it('skips the next occurrence of a recurring reminder and sends the one after it', async () => {
    // The instance's clock moves from slot to slot; timers are loaded by the sweep only (a horizon
    // of 1 s), as their slot comes due on that clock.
    const clock = new TestClock();
    const timed = await env.start({ now: clock.now, tuning: { sweepIntervalMs: 200, horizonMs: 1000 } });
    const carol = await login(timed, 'carol#1');
    const res0 = await api(timed)
      .post('/api/reminders')
      .set(bearer(carol))
      .send({
        title: '每分钟',
        repeat: { cron: '* * * * *' },
      });
    const minutely = data<ReminderView>(res0);
    const first = Date.parse(minutely.nextFireAt ?? '');

    const res = await api(timed).post(`/api/reminders/${minutely.id}/done`).set(bearer(carol));

    expect(res.status).toBe(200);
    expect(data<ReminderView>(res)).toMatchObject({ status: 'pending' });
    const second = Date.parse(data<ReminderView>(res).nextFireAt ?? '');
    expect(second - first).toBe(60_000);
    // On the clock, the skipped slot comes due: nothing is sent, while a control due then is.
    clock.advance(first - clock.now() + 100);
    await sweepControl(env, timed);
    expect(sentTo('carol')).toEqual([]);
    // The slot after it is sent, announcing that slot.
    clock.advance(second - clock.now() + 100);
    await waitFor(() => sentTo('carol').length === 1, { what: 'the occurrence after the skipped one' });
    const view = await waitFor(async () => {
      const res = await api(timed).get(`/api/reminders/${minutely.id}`).set(bearer(carol));
      const seen = data<ReminderDetailView>(res);
      return seen.fireCount === 1 ? seen : undefined;
    });
    expect(view.deliveries.map((d) => d.occurrence)).toEqual([`${minutely.id}:${second}`]);
    expect(Date.parse(view.nextFireAt ?? '')).toBe(second + 60_000);
  });

  it('skips a snooze’s extra occurrence of a recurring reminder, back to its regular slot', async () => {
    const daily = await create(alice, { title: '散步', repeat: { daily: inThreeHours() } });
    const snoozed = await api(t)
      .post(`/api/reminders/${daily.id}/snooze`)
      .set(bearer(alice))
      .send({ minutes: 30 });
    expect(snoozed.status).toBe(200);
    expect(data<ReminderView>(snoozed).nextFireAt).not.toBe(daily.nextFireAt);

    const res = await done(alice, daily.id);

    expect(res.status).toBe(200);
    expect(data<ReminderView>(res)).toMatchObject({ status: 'pending', nextFireAt: daily.nextFireAt });
    expect(await t.redis.zScore(t.instance.keys.due(t.instance.keys.reminderShard(daily.id)), daily.id)).toBe(
      Date.parse(daily.nextFireAt ?? ''),
    );
    // Done once more skips that regular slot too: the next day's.
    const again = data<ReminderView>(await done(alice, daily.id));
    expect(Date.parse(again.nextFireAt ?? '') - Date.parse(daily.nextFireAt ?? '')).toBe(86_400_000);
  });

  it('answers 409 for a reminder that is not pending: done, sent or cancelled', async () => {
    const once = await create(alice, { title: '一次', at: Date.now() + 3_600_000 });
    expect((await done(alice, once.id)).status).toBe(200);
    const twice = await done(alice, once.id);
    expect(twice.status).toBe(409);
    expect(errorBody(twice)).toMatchObject({ errcode: 40904, errmsg: expect.stringContaining('is done') });

    const sent = await create(alice, { title: '已发', at: Date.now() + 200 });
    await waitFor(async () => (await detail(alice, sent.id)).status === 'sent', { what: 'the send' });
    expect(errorBody(await done(alice, sent.id)).errcode).toBe(40904);

    const cancelled = await create(alice, { title: '取消', at: Date.now() + 3_600_000 });
    await api(t).delete(`/api/reminders/${cancelled.id}`).set(bearer(alice));
    expect(errorBody(await done(alice, cancelled.id)).errcode).toBe(40904);
    expect((await detail(alice, cancelled.id)).status).toBe('cancelled');
  });

  it('answers 404 for another user’s reminder or an unknown one, and changes nothing', async () => {
    const hers = await create(alice, { title: '她的', at: Date.now() + 3_600_000 });
    const res = await done(bob, hers.id);
    expect(res.status).toBe(404);
    expect(errorBody(res).errcode).toBe(40402);
    expect(errorBody(await done(bob, '999999')).errcode).toBe(40402);
    expect((await detail(alice, hers.id)).status).toBe('pending');
    expect(await t.redis.zScore(t.instance.keys.due(t.instance.keys.reminderShard(hers.id)), hers.id)).toBe(
      Date.parse(hers.nextFireAt ?? ''),
    );
  });

  it('answers 401 without a session and 400 for an id that is not one', async () => {
    const anonymous = await api(t).post('/api/reminders/1/done');
    expect(anonymous.status).toBe(401);
    const bad = await done(alice, 'abc');
    expect(bad.status).toBe(400);
    expect(errorBody(bad).details?.map((d) => d.path)).toEqual(['id']);
  });
});
