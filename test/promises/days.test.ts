import { DateTime } from 'luxon';
import { TestClock, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import {
  accept,
  api,
  create,
  grant,
  messagesTo,
  person,
  PROMISE_TEMPLATE,
  statesTo,
  toEndOf,
  toUtcHour,
  view,
  type Person,
} from './promise-helpers';

/** Keeping days, the daily verdict (once, in the promise's zone) and ending a promise. */
const env = useSandbox();
// Passes only when a test runs them: what each pass did is then the test's to read.
const MANUAL = { promiseEvaluationIntervalMs: 3_600_000 };

async function pair(t: TestInstance, names: [string, string]): Promise<[Person, Person]> {
  return [await person(t, env.sandbox, names[0]), await person(t, env.sandbox, names[1])];
}

describe('POST /api/promises/:id/keep', () => {
  it('keeps a day once: a second keep changes nothing and tells nobody again', async () => {
    const clock = new TestClock();
    toUtcHour(clock, 10); // 18:00 in Shanghai: today's 20:00 is still ahead, so today is owed
    const t = await env.start({ config: { quotaMode: 'enforce' }, now: clock.now });
    const [amy, ben] = await pair(t, ['amy', 'ben']);
    await grant(t, amy, PROMISE_TEMPLATE, 3);
    const promise = await create(t, amy, 'ask', { hour: 20, min: 0, detail: '练琴' });
    await accept(t, ben, promise.invite?.code ?? '');
    const keep = () => api(t).post(`/api/promises/${promise.id}/keep`).set(ben.auth).send({});
    const first = await keep();
    expect(first.body.data.kept).toEqual({ date: first.body.data.today, changed: true });
    const second = await keep();
    expect(second.status).toBe(200);
    expect(second.body.data).toMatchObject({ kept: { changed: false }, keptDays: 1, streak: 1 });
    // Control: the same keeper's first keep of another promise is told; the repeat above was not.
    const other = await create(t, amy, 'ask', { hour: 20, min: 0, detail: '背书' });
    await accept(t, ben, other.invite?.code ?? '');
    await api(t).post(`/api/promises/${other.id}/keep`).set(ben.auth).send({});
    await waitFor(() => statesTo(env.sandbox, amy).length === 2, { what: 'the two kept notices' });
    expect(
      messagesTo(env.sandbox, amy, PROMISE_TEMPLATE)
        .map((m) => m.data.thing2?.value)
        .sort(),
    ).toEqual(['练琴', '背书']);
  });

  it('refuses a day in the future, before the start, or that does not exist (400 naming date), and a closed one (409)', async () => {
    const clock = new TestClock();
    toUtcHour(clock, 12); // the promise starts today, whatever the real time
    const t = await env.start({ now: clock.now, tuning: MANUAL });
    const [cat] = await pair(t, ['cat', 'cat2']);
    const promise = await create(t, cat, 'give', { hour: 23, min: 59, detail: '写日记', timezone: 'UTC' });
    const keep = (date?: string) =>
      api(t)
        .post(`/api/promises/${promise.id}/keep`)
        .set(cat.auth)
        .send(date ? { date } : {});
    const start = promise.startDay ?? '';
    const next = DateTime.fromISO(start, { zone: 'UTC' }).plus({ days: 1 }).toISODate() ?? '';
    const before = DateTime.fromISO(start, { zone: 'UTC' }).minus({ days: 1 }).toISODate() ?? '';
    for (const [date, message] of [
      [next, /must not be in the future/],
      [before, /must not be before the promise started/],
      ['2027-02-30', /a day that exists/],
      ['tomorrow', /a day that exists/],
    ] as const) {
      const res = await keep(date);
      expect([res.status, res.body.details]).toEqual([
        400,
        [{ path: 'date', message: expect.stringMatching(message) }],
      ]);
    }
    expect((await keep(start)).body.data.kept).toEqual({ date: start, changed: true });
    // The next day is not kept; once it has ended and been evaluated, it is closed for good.
    toEndOf(clock, next, 'UTC');
    await t.instance.promiseEvaluation.run();
    await t.instance.promiseEvaluation.run();
    const late = await keep(next);
    expect([late.status, late.body.errcode]).toEqual([409, 40932]);
    expect((await keep(start)).body.data.kept).toEqual({ date: start, changed: false }); // kept stays kept
    expect((await view(t, cat, promise.id)).history).toMatchObject({ [start]: 'kept', [next]: 'missed' });
  });
});

describe('the daily verdict', () => {
  it('records a day missed once, however many instances evaluate it at the same time', async () => {
    const clock = new TestClock();
    const config = { redisPrefix: uniquePrefix(), quotaMode: 'enforce' as const };
    const one = await env.start({ config, now: clock.now, tuning: MANUAL });
    const two = await env.start({ config, now: clock.now, tuning: MANUAL });
    const [dan, eva] = await pair(one, ['dan', 'eva']);
    await grant(one, dan, PROMISE_TEMPLATE, 2);
    const promises = [];
    for (let i = 0; i < 5; i++) {
      const p = await create(one, dan, 'ask', { hour: 7, min: 0, detail: `第${i}件事` });
      await accept(two, eva, p.invite?.code ?? '');
      promises.push(p);
    }
    const day = (await view(one, dan, promises[0]?.id ?? '')).startDay ?? '';
    toEndOf(clock, day, 'Asia/Shanghai');
    const runs = await Promise.all([one, two, one, two].map((t) => t.instance.promiseEvaluation.run()));
    // A run shared with one already going on reports that pass's counts again: count distinct passes.
    const distinct = [...new Set(runs)];
    expect(distinct.reduce((sum, r) => sum + r.missed, 0)).toBe(5);
    const again = await Promise.all([
      one.instance.promiseEvaluation.run(),
      two.instance.promiseEvaluation.run(),
    ]);
    expect(again.map((r) => r.evaluated)).toEqual([0, 0]);
    for (const p of promises) expect((await view(one, dan, p.id)).missedDays).toBe(1);
    // Dan is told about each promise once (his two grants: two messages, the rest no_quota).
    await waitFor(() => statesTo(env.sandbox, dan).length === 2, { what: 'the missed notices' });
  });

  it('ends a day at midnight in the promise’s zone: New York’s day ends 12 hours after Shanghai’s', async () => {
    const clock = new TestClock();
    toUtcHour(clock, 10); // 05:00 or 06:00 in New York, 18:00 in Shanghai: the same date in both
    const t = await env.start({ now: clock.now, tuning: MANUAL });
    const [fay] = await pair(t, ['fay', 'fay2']);
    const ny = await create(t, fay, 'give', {
      hour: 23,
      min: 59,
      detail: '纽约',
      timezone: 'America/New_York',
    });
    const sh = await create(t, fay, 'give', { hour: 23, min: 59, detail: '上海', timezone: 'Asia/Shanghai' });
    const nyDay = ny.startDay ?? '';
    expect(sh.startDay).toBe(nyDay);
    const missed = async () => ({
      ny: (await view(t, fay, ny.id)).missedDays,
      sh: (await view(t, fay, sh.id)).missedDays,
    });
    const nyEnd = DateTime.fromISO(nyDay, { zone: 'America/New_York' }).plus({ days: 1 }).startOf('day');
    expect(nyEnd.toUTC().hour).toBe(nyEnd.isInDST ? 4 : 5); // midnight in New York, in UTC
    clock.advance(nyEnd.toMillis() - 1000 - clock.now());
    await t.instance.promiseEvaluation.run();
    const justBefore = await missed();
    expect(justBefore.ny).toBe(0);
    clock.advance(2000);
    await t.instance.promiseEvaluation.run();
    expect((await missed()).ny).toBe(1);
    // Shanghai's day of the same date ended 12–13 hours earlier: it was missed already then.
    expect(justBefore.sh).toBe(1);
  });
});

describe('DELETE /api/promises/:id', () => {
  it('ends it for both: the reminder is gone on every instance, the other party is told once', async () => {
    const config = { redisPrefix: uniquePrefix(), quotaMode: 'enforce' as const };
    const one = await env.start({ config, tuning: MANUAL });
    const two = await env.start({ config, tuning: MANUAL });
    const [gus, hal] = await pair(one, ['gus', 'hal']);
    await grant(one, gus, PROMISE_TEMPLATE, 2);
    // Due within the scheduler's horizon, so that both instances hold a timer for it.
    const soon = DateTime.now().setZone('Asia/Shanghai').plus({ minutes: 5 });
    const promise = await create(one, gus, 'ask', { hour: soon.hour, min: soon.minute, detail: '戒糖' });
    const bound = await accept(two, hal, promise.invite?.code ?? '');
    const reminder = (await api(two).get('/api/reminders').set(hal.auth)).body.data.items[0];
    expect(bound.reminded).toBe('counterpart');
    await waitFor(
      () =>
        one.instance.scheduler.registry.has(reminder.id) && two.instance.scheduler.registry.has(reminder.id),
    );

    const ended = await api(one).delete(`/api/promises/${promise.id}`).set(hal.auth);
    expect(ended.status).toBe(200);
    expect(ended.body.data).toMatchObject({ status: 'ended', reminded: null, canKeep: false });
    expect((await api(two).get(`/api/reminders/${reminder.id}`).set(hal.auth)).body.data.status).toBe(
      'cancelled',
    );
    await waitFor(
      () =>
        !one.instance.scheduler.registry.has(reminder.id) &&
        !two.instance.scheduler.registry.has(reminder.id),
    );
    await waitFor(() => statesTo(env.sandbox, gus).length === 1, { what: 'the ended notice' });
    expect(messagesTo(env.sandbox, gus, PROMISE_TEMPLATE)[0]?.data.thing1?.value).toBe('对方结束了承诺');

    // Nothing works on it any more; ending it again answers it again and tells nobody.
    const keep = await api(one).post(`/api/promises/${promise.id}/keep`).set(hal.auth).send({});
    expect([keep.status, keep.body.errcode]).toEqual([409, 40931]);
    const invite = await api(one).get(`/api/promises/invites/${promise.invite?.code}`).set(gus.auth);
    expect(invite.status).toBe(404);
    expect((await api(one).delete(`/api/promises/${promise.id}`).set(gus.auth)).body.data.status).toBe(
      'ended',
    );
    expect(await one.redis.zScore(one.instance.keys.promisesDue(), promise.id)).toBeNull();
    // Control: a new promise's end is told; the repeat above was not.
    const control = await create(one, gus, 'ask', { hour: 8, min: 0, detail: '控制' });
    await accept(two, hal, control.invite?.code ?? '');
    await api(one).delete(`/api/promises/${control.id}`).set(hal.auth);
    await waitFor(() => statesTo(env.sandbox, gus).length === 2, { what: 'the control’s ended notice' });
    expect(messagesTo(env.sandbox, gus, PROMISE_TEMPLATE).map((m) => m.data.thing2?.value)).toEqual([
      '戒糖',
      '控制',
    ]);
  });
});
