import { TestClock, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import {
  accept,
  api,
  CLOCKED,
  create,
  grant,
  messagesTo,
  minuteAhead,
  person,
  PROMISE_TEMPLATE,
  REMINDER_TEMPLATE,
  statesTo,
  toEndOf,
  view,
} from './promise-helpers';

/**
 * Issue 14's "Done when", end to end through the sandbox: two people, an `ask` promise that
 * reminds the counterpart, a keep that tells the author, a missed day evaluated once by two
 * instances, and a `give` promise that reminds its author.
 */
const env = useSandbox();
const ZONE = 'Asia/Shanghai';

async function twoInstances(clock: TestClock): Promise<[TestInstance, TestInstance]> {
  const config = { redisPrefix: uniquePrefix(), quotaMode: 'enforce' as const };
  const one = await env.start({ config, now: clock.now, tuning: CLOCKED });
  const two = await env.start({ config, now: clock.now, tuning: CLOCKED });
  return [one, two];
}

describe('an ask promise between two people, on two instances', () => {
  it('reminds the counterpart, tells the author of a kept day and, once, of a missed one', async () => {
    const clock = new TestClock();
    const [one, two] = await twoInstances(clock);
    const alice = await person(one, env.sandbox, 'alice');
    const bob = await person(two, env.sandbox, 'bob');
    await grant(one, alice, PROMISE_TEMPLATE, 3); // what she is told with
    await grant(two, bob, REMINDER_TEMPLATE, 3); // his daily reminders

    // Alice asks Bob to promise something daily, at a time 2 s ahead; Bob accepts on another instance.
    const { hour, min } = minuteAhead(clock, ZONE, 2);
    const created = await create(one, alice, 'ask', {
      hour,
      min,
      detail: '每天跑步',
      counterpartName: '小明',
      timezone: ZONE,
    });
    expect(created).toMatchObject({ type: 'ask', reminded: null, role: 'author', nextFireAt: null });
    expect(created.note).toMatch(/nobody is reminded until the counterpart accepts/);
    const code = created.invite?.code ?? '';
    expect(created.invite?.path).toBe(`pages/promise/accept?code=${code}`);
    const invite = await api(two).get(`/api/promises/invites/${code}`).set(bob.auth);
    expect(invite.status).toBe(200);
    expect(invite.body.data).toMatchObject({
      type: 'ask',
      detail: '每天跑步',
      state: 'open',
      reminded: 'counterpart',
    });
    expect(JSON.stringify(invite.body)).not.toContain(alice.openid);
    const accepted = await accept(two, bob, code);
    expect(accepted).toMatchObject({
      id: created.id,
      role: 'counterpart',
      reminded: 'counterpart',
      canKeep: true,
    });

    // Bob, not Alice, receives the daily push.
    const [push] = await waitFor(() => {
      const found = messagesTo(env.sandbox, bob, REMINDER_TEMPLATE);
      return found.length > 0 ? found : undefined;
    });
    expect(push?.data.thing1?.value).toBe('兑现我答应的承诺');
    expect(push?.data.thing3?.value).toBe('每天跑步');
    expect(push?.page).toBe(`pages/promise/detail?id=${created.id}`);
    expect(env.sandbox.sent.filter((m) => m.touser === alice.openid)).toEqual([]);
    const aliceReminders = await api(one).get('/api/reminders').set(alice.auth);
    expect(aliceReminders.body.data.items).toEqual([]);
    const bobReminders = await api(two).get('/api/reminders').set(bob.auth);
    expect(bobReminders.body.data.items).toEqual([
      expect.objectContaining({ kind: 'ask', status: 'pending' }),
    ]);

    // Bob keeps the day: Alice is told, with the promise template.
    const kept = await api(two).post(`/api/promises/${created.id}/keep`).set(bob.auth).send({});
    expect(kept.status).toBe(200);
    const day1 = kept.body.data.today as string;
    expect(kept.body.data).toMatchObject({ kept: { date: day1, changed: true }, keptDays: 1, streak: 1 });
    const [told] = await waitFor(() => {
      const found = messagesTo(env.sandbox, alice, PROMISE_TEMPLATE);
      return found.length > 0 ? found : undefined;
    });
    expect(told?.data).toMatchObject({
      thing1: { value: '小明兑现了承诺' },
      thing2: { value: '每天跑步' },
      phrase4: { value: '已兑现' },
    });
    expect(told?.page).toBe(`pages/promise/detail?id=${created.id}`);

    // The next day nobody keeps: once it has ended in Shanghai, it is missed, once, and Alice told once.
    expect((await view(one, alice, created.id)).history).toEqual({ [day1]: 'kept' });
    const tomorrow = new Date(Date.parse(`${day1}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    toEndOf(clock, tomorrow, ZONE);
    await waitFor(() => statesTo(env.sandbox, alice).includes('未兑现'), { what: 'the missed notice' });
    // Both instances have evaluated since (each run also covers the pass its timer started), and a
    // control notice sent after them has arrived: nothing else was sent for that day.
    await Promise.all([one.instance.promiseEvaluation.run(), two.instance.promiseEvaluation.run()]);
    await Promise.all([one.instance.promiseEvaluation.run(), two.instance.promiseEvaluation.run()]);
    await grant(one, alice, REMINDER_TEMPLATE);
    await one.instance.notifications.send([
      { openid: alice.openid, templateId: REMINDER_TEMPLATE, title: 'control', timezone: ZONE },
    ]);
    await waitFor(() => messagesTo(env.sandbox, alice, REMINDER_TEMPLATE).length === 1, {
      what: 'the control',
    });
    expect(statesTo(env.sandbox, alice)).toEqual(['已兑现', '未兑现']);
    const missed = messagesTo(env.sandbox, alice, PROMISE_TEMPLATE)[1];
    expect(missed?.data.thing1?.value).toBe('小明没有兑现承诺');

    // Both see the same days and streak.
    const asAlice = await view(one, alice, created.id);
    const asBob = await view(two, bob, created.id);
    for (const seen of [asAlice, asBob]) {
      expect(seen).toMatchObject({ keptDays: 1, missedDays: 1, streak: 0 });
      expect(seen.history).toEqual({ [day1]: 'kept', [tomorrow]: 'missed', [seen.today]: 'open' });
    }
    expect(asAlice).toMatchObject({ role: 'author', canKeep: false });
    expect(asBob).toMatchObject({ role: 'counterpart', canKeep: true });
  }, 40_000);
});

describe('a give promise', () => {
  it('reminds its author at once, and counts a streak of kept days', async () => {
    const clock = new TestClock();
    const [one] = await twoInstances(clock);
    const carol = await person(one, env.sandbox, 'carol');
    const dave = await person(one, env.sandbox, 'dave');
    await grant(one, carol, REMINDER_TEMPLATE, 2);

    const { hour, min } = minuteAhead(clock, ZONE, 2);
    const created = await create(one, carol, 'give', { cid: 7, hour, min, detail: '早睡', timezone: ZONE });
    expect(created).toMatchObject({ kind: 'give', cid: '7', reminded: 'author', canKeep: true });
    expect(created.note).toMatch(/the author is reminded daily/);
    await waitFor(() => messagesTo(env.sandbox, carol, REMINDER_TEMPLATE).length === 1, { what: 'her push' });
    expect(messagesTo(env.sandbox, carol, REMINDER_TEMPLATE)[0]?.data.thing1?.value).toBe('兑现我的承诺');

    // A witness accepts; Carol keeps today and tomorrow: a streak of 2 both of them see.
    await accept(one, dave, created.invite?.code ?? '');
    const first = await api(one).post(`/api/promises/${created.id}/keep`).set(carol.auth).send({});
    expect(first.body.data).toMatchObject({ streak: 1, keptDays: 1 });
    clock.advance(86_400_000);
    const second = await api(one).post(`/api/promises/${created.id}/keep`).set(carol.auth).send({});
    expect(second.body.data).toMatchObject({ streak: 2, keptDays: 2, missedDays: 0 });
    for (const who of [carol, dave]) {
      const seen = await view(one, who, created.id);
      expect(seen.streak).toBe(2);
      expect(Object.values(seen.history)).toEqual(['kept', 'kept']);
    }
    const list = await api(one).get('/api/promises').set(dave.auth);
    expect(list.body.data.items.map((p: { id: string; role: string }) => [p.id, p.role])).toEqual([
      [created.id, 'counterpart'],
    ]);
  }, 30_000);
});
