import { DateTime } from 'luxon';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import {
  afterSweeps,
  api,
  bearer,
  login,
  sweepControl,
  TestClock,
  uniquePrefix,
  useSandbox,
  waitFor,
  type TestInstance,
} from '../support/harness';
import { data, errorBody, type ReminderDetailView, type ReminderView } from '../support/api-types';

// docs/architecture.md#done-and-snooze: POST /api/reminders/:id/snooze {minutes}. The instances'
// clock is moved to the snoozed instant; timers are loaded by the sweep only (a horizon of 1 s) as
// their slot comes due on that clock, so minutes pass without waiting for them.
const env = useSandbox();
const TUNING = { sweepIntervalMs: 200, horizonMs: 1000 };
const MINUTE = 60_000;
let sandbox: WeChatSandbox;
let clock: TestClock;
let t: TestInstance;
let templateId: string;

beforeEach(async () => {
  ({ sandbox } = env);
  clock = new TestClock();
  t = await env.start({ now: clock.now, config: { quotaMode: 'enforce' }, tuning: TUNING });
  templateId = t.config.wx.templateId;
  // The positive controls (sweepControl) send to their own user, who needs grants in enforce mode.
  await t.instance.quota.grant(sandbox.openIdFor('control'), templateId, 20);
});

const openid = (user: string) => sandbox.openIdFor(user);
const sentTo = (user: string) => sandbox.sent.filter((m) => m.touser === openid(user));
const snooze = (token: string, id: string, body: unknown, on = t) =>
  api(on)
    .post(`/api/reminders/${id}/snooze`)
    .set(bearer(token))
    .send(body as object);

async function create(token: string, body: object, on = t): Promise<ReminderView> {
  const res = await api(on).post('/api/reminders').set(bearer(token)).send(body);
  expect(res.status).toBe(201);
  return data<ReminderView>(res);
}

async function detail(token: string, id: string): Promise<ReminderDetailView> {
  return data<ReminderDetailView>(await api(t).get(`/api/reminders/${id}`).set(bearer(token)));
}

/** Waits until the reminder has handled `count` occurrences, and returns it then. */
function handled(token: string, id: string, count: number): Promise<ReminderDetailView> {
  return waitFor(
    async () => {
      const view = await detail(token, id);
      return view.fireCount >= count ? view : undefined;
    },
    { what: `reminder ${id} to handle ${count} occurrence(s)` },
  );
}

/** A daily time `hours` from the clock's now in Asia/Shanghai, and its next slot. */
function dailyIn(hours: number): { daily: string; slot: number } {
  const at = DateTime.fromMillis(clock.now(), { zone: 'Asia/Shanghai' }).plus({ hours }).startOf('minute');
  return { daily: at.toFormat('HH:mm'), slot: at.toMillis() };
}

describe('POST /api/reminders/:id/snooze', () => {
  it('gives a sent one-shot one extra message at now + minutes, with its own grant, sent once', async () => {
    const alice = await login(t, 'alice#1');
    await t.instance.quota.grant(openid('alice'), templateId, 2);
    const once = await create(alice, { title: '喝水', at: clock.now() + 300 });
    await handled(alice, once.id, 1);
    expect(sentTo('alice')).toHaveLength(1);

    const res = await snooze(alice, once.id, { minutes: 5 });

    expect(res.status).toBe(200);
    const snoozed = data<ReminderView>(res);
    expect(snoozed.status).toBe('pending');
    const slot = Date.parse(snoozed.nextFireAt ?? '');
    expect(Math.abs(slot - (clock.now() + 5 * MINUTE))).toBeLessThan(2000);
    // Not before its time: the sweeps that would send it run (a control is sent), nothing for alice.
    await sweepControl(env, t);
    expect(sentTo('alice')).toHaveLength(1);

    clock.advance(5 * MINUTE);
    const view = await handled(alice, once.id, 2);

    expect(view).toMatchObject({ status: 'sent', nextFireAt: null, fireCount: 2 });
    expect(view.deliveries[0]).toMatchObject({ occurrence: `${once.id}:${slot}`, result: 'sent' });
    expect(sentTo('alice').map((m) => m.data.thing1?.value)).toEqual(['喝水', '喝水']);
    expect((await t.instance.quota.remaining(openid('alice')))[templateId]).toBe(0);
    await afterSweeps(t); // a second send of the extra occurrence would come from these
    expect(sentTo('alice')).toHaveLength(2);
  });

  it('needs a grant of its own: without one the extra occurrence is recorded no_quota', async () => {
    const bob = await login(t, 'bob#1');
    await t.instance.quota.grant(openid('bob'), templateId, 1);
    const once = await create(bob, { title: '开会', at: clock.now() + 300 });
    await handled(bob, once.id, 1);
    expect((await snooze(bob, once.id, { minutes: 10 })).status).toBe(200);

    clock.advance(10 * MINUTE);
    const view = await handled(bob, once.id, 2);

    expect(view.status).toBe('no_quota');
    expect(sentTo('bob')).toHaveLength(1);
  });

  it('adds one message to a recurring reminder and keeps its regular schedule', async () => {
    const carol = await login(t, 'carol#1');
    await t.instance.quota.grant(openid('carol'), templateId, 1);
    const { daily, slot: regular } = dailyIn(3);
    const every = await create(carol, { title: '散步', repeat: { daily } });
    expect(Date.parse(every.nextFireAt ?? '')).toBe(regular);

    const res = await snooze(carol, every.id, { minutes: 30 });

    expect(res.status).toBe(200);
    const extra = Date.parse(data<ReminderView>(res).nextFireAt ?? '');
    expect(extra).toBeLessThan(regular);
    clock.advance(30 * MINUTE);
    const view = await handled(carol, every.id, 1);

    expect(view).toMatchObject({ status: 'pending', nextFireAt: new Date(regular).toISOString() });
    expect(view.deliveries.map((d) => [d.occurrence, d.result])).toEqual([[`${every.id}:${extra}`, 'sent']]);
    expect(sentTo('carol')).toHaveLength(1);
    expect(await t.redis.zScore(t.instance.keys.due(t.instance.keys.reminderShard(every.id)), every.id)).toBe(
      regular,
    );
  });

  it('refuses a snooze past a recurring reminder’s next occurrence with 400 naming minutes', async () => {
    const dan = await login(t, 'dan#1');
    const { daily, slot } = dailyIn(1);
    const every = await create(dan, { title: '站会', repeat: { daily } });

    const res = await snooze(dan, every.id, { minutes: 90 });

    expect(res.status).toBe(400);
    expect(errorBody(res).details).toEqual([
      { path: 'minutes', message: expect.stringContaining(new Date(slot).toISOString()) },
    ]);
    expect((await detail(dan, every.id)).nextFireAt).toBe(new Date(slot).toISOString());
  });

  it('moves a pending one-shot’s occurrence to now + minutes, and snoozing again replaces it', async () => {
    const erin = await login(t, 'erin#1');
    await t.instance.quota.grant(openid('erin'), templateId, 5);
    const later = await create(erin, { title: '取快递', at: clock.now() + 120 * MINUTE });
    expect((await snooze(erin, later.id, { minutes: 20 })).status).toBe(200);

    const res = await snooze(erin, later.id, { minutes: 5 });

    const slot = Date.parse(data<ReminderView>(res).nextFireAt ?? '');
    expect(Math.abs(slot - (clock.now() + 5 * MINUTE))).toBeLessThan(2000);
    clock.advance(5 * MINUTE);
    const view = await handled(erin, later.id, 1);
    expect(view).toMatchObject({ status: 'sent', nextFireAt: null });
    // Neither the replaced snooze nor the original time sends again.
    clock.advance(120 * MINUTE);
    await sweepControl(env, t);
    expect(sentTo('erin')).toHaveLength(1);
    expect((await detail(erin, later.id)).fireCount).toBe(1);
  });

  it('sends the extra occurrence once with two instances', async () => {
    const redisPrefix = uniquePrefix();
    const config = { redisPrefix, quotaMode: 'enforce' as const };
    const a = await env.start({ now: clock.now, config, tuning: TUNING });
    const b = await env.start({ now: clock.now, config, tuning: TUNING });
    const fay = await login(a, 'fay#1');
    await a.instance.quota.grant(openid('fay'), templateId, 5);
    const once = await create(fay, { title: '复诊', at: clock.now() + 120 * MINUTE }, a);
    expect((await snooze(fay, once.id, { minutes: 15 }, b)).status).toBe(200);

    clock.advance(15 * MINUTE);
    await waitFor(() => sentTo('fay').length === 1, { what: 'the snoozed send' });
    await Promise.all([afterSweeps(a), afterSweeps(b)]); // either could send it a second time

    expect(sentTo('fay')).toHaveLength(1);
    expect((await a.instance.store.get(once.id))?.fireCount).toBe(1);
  });

  it('answers 409 for a cancelled or done reminder, 404 for another user’s, and stores nothing', async () => {
    const gus = await login(t, 'gus#1');
    const hal = await login(t, 'hal#1');
    const cancelled = await create(gus, { title: '作废', at: clock.now() + 60 * MINUTE });
    await api(t).delete(`/api/reminders/${cancelled.id}`).set(bearer(gus));
    const res = await snooze(gus, cancelled.id, { minutes: 5 });
    expect(res.status).toBe(409);
    expect(errorBody(res)).toMatchObject({ errcode: 40905, errmsg: expect.stringContaining('cancelled') });
    expect((await detail(gus, cancelled.id)).status).toBe('cancelled');

    const finished = await create(gus, { title: '做完', at: clock.now() + 60 * MINUTE });
    await api(t).post(`/api/reminders/${finished.id}/done`).set(bearer(gus));
    expect(errorBody(await snooze(gus, finished.id, { minutes: 5 })).errcode).toBe(40905);

    const his = await create(gus, { title: '他的', at: clock.now() + 60 * MINUTE });
    const foreign = await snooze(hal, his.id, { minutes: 5 });
    expect(foreign.status).toBe(404);
    expect(errorBody(foreign).errcode).toBe(40402);
    expect((await detail(gus, his.id)).nextFireAt).toBe(his.nextFireAt);
  });

  it('answers 400 naming minutes for every value outside 5–1440 whole minutes, and 401 without a session', async () => {
    const ivy = await login(t, 'ivy#1');
    const once = await create(ivy, { title: '提醒', at: clock.now() + 60 * MINUTE });
    for (const body of [{ minutes: 4 }, { minutes: 1441 }, { minutes: 5.5 }, { minutes: 'ten' }, {}]) {
      const res = await snooze(ivy, once.id, body);
      expect({ body, status: res.status, paths: errorBody(res).details?.map((d) => d.path) }).toEqual({
        body,
        status: 400,
        paths: ['minutes'],
      });
    }
    const extra = await snooze(ivy, once.id, { minutes: 5, until: 'later' });
    expect(errorBody(extra).details?.map((d) => d.path)).toEqual(['until']);
    expect((await detail(ivy, once.id)).nextFireAt).toBe(once.nextFireAt);
    expect((await api(t).post(`/api/reminders/${once.id}/snooze`).send({ minutes: 5 })).status).toBe(401);
  });
});
