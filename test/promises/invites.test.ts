import { TestClock, useSandbox, type TestInstance } from '../support/harness';
import { errorBody } from '../support/api-types';
import { accept, api, create, person, type Person } from './promise-helpers';

/** Invites (expired 410, used 409, own 400, unknown 404) and who may see or touch a promise. */
const env = useSandbox();
const clock = new TestClock();
let t: TestInstance;
let alice: Person;
let bob: Person;
let eve: Person;

beforeAll(async () => {
  t = await env.start({ now: clock.now });
  alice = await person(t, env.sandbox, 'alice');
  bob = await person(t, env.sandbox, 'bob');
  eve = await person(t, env.sandbox, 'eve');
});

const acceptAs = (who: Person, code: string) =>
  api(t).post(`/api/promises/invites/${code}/accept`).set(who.auth).send({});

describe('POST /api/promises/invites/:code/accept', () => {
  it('binds the first person who accepts; a second person gets 409, the same one their promise again', async () => {
    const promise = await create(t, alice, 'ask', { hour: 8, min: 0, detail: '背单词' });
    const code = promise.invite?.code ?? '';
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 random bits
    const first = await acceptAs(bob, code);
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ id: promise.id, counterpart: { bound: true }, invite: null });
    const taken = await acceptAs(eve, code);
    expect(taken.status).toBe(409);
    expect(errorBody(taken).errcode).toBe(40930);
    expect((await acceptAs(bob, code)).status).toBe(200);
    // Bob has one reminder, however often he accepted.
    const reminders = await api(t).get('/api/reminders').set(bob.auth);
    expect(reminders.body.data.items).toHaveLength(1);
    const seen = await api(t).get(`/api/promises/invites/${code}`).set(eve.auth);
    expect(seen.body.data.state).toBe('taken');
  });

  it('answers 410 once the invite is 7 days old, and binds nobody', async () => {
    const promise = await create(t, alice, 'give', { hour: 9, min: 30, detail: '读书' });
    const code = promise.invite?.code ?? '';
    clock.advance(7 * 86_400_000 - 60_000);
    expect((await api(t).get(`/api/promises/invites/${code}`).set(bob.auth)).status).toBe(200); // control
    clock.advance(61_000);
    try {
      const expired = await acceptAs(bob, code);
      expect(expired.status).toBe(410);
      expect(errorBody(expired).errcode).toBe(41030);
      expect((await api(t).get(`/api/promises/invites/${code}`).set(bob.auth)).status).toBe(410);
      const still = await api(t).get(`/api/promises/${promise.id}`).set(alice.auth);
      expect(still.body.data.counterpart).toEqual({ name: null, bound: false });
    } finally {
      clock.advance(-7 * 86_400_000 - 1000);
    }
  });

  it('answers 409 to an ask accepted by someone at their 500 pending reminders, and stays open for them', async () => {
    const full = await person(t, env.sandbox, 'full');
    for (let i = 0; i < 500; i++) {
      await t.instance.reminders.create(full.openid, { title: `r${i}`, at: clock.now() + 3_600_000 + i });
    }
    const promise = await create(t, alice, 'ask', { hour: 8, min: 0, detail: '早起' });
    const code = promise.invite?.code ?? '';
    const refused = await acceptAs(full, code);
    expect([refused.status, refused.body.errcode]).toEqual([409, 40902]);
    expect(
      (await api(t).get(`/api/promises/${promise.id}`).set(alice.auth)).body.data.counterpart.bound,
    ).toBe(false);
    const pending = await api(t).get('/api/reminders?status=pending&limit=1').set(full.auth);
    expect(pending.body.data.items[0]?.kind).toBe('reminder'); // no ask reminder was left behind
    // Once one reminder is gone, the same invite binds them.
    await api(t).delete(`/api/reminders/${pending.body.data.items[0]?.id}`).set(full.auth);
    expect((await acceptAs(full, code)).status).toBe(200);
  }, 30_000);

  it("answers 400 for one's own invite and 404 for an unknown code", async () => {
    const promise = await create(t, alice, 'ask', { hour: 7, min: 0, detail: '喝水' });
    const own = await acceptAs(alice, promise.invite?.code ?? '');
    expect(own.status).toBe(400);
    expect(errorBody(own).errcode).toBe(40030);
    for (const code of ['AAAAAAAAAAAAAAAAAAAAAA', 'not a code', 'x'.repeat(64)]) {
      const unknown = await acceptAs(bob, encodeURIComponent(code));
      expect(unknown.status).toBe(404);
      expect(errorBody(unknown).errcode).toBe(40431);
      expect(
        (
          await api(t)
            .get(`/api/promises/invites/${encodeURIComponent(code)}`)
            .set(bob.auth)
        ).status,
      ).toBe(404);
    }
    expect((await acceptAs(bob, 'x'.repeat(65))).status).toBe(400);
    expect((await api(t).post(`/api/promises/invites/${promise.invite?.code}/accept`).send({})).status).toBe(
      401,
    );
  });

  it('shows what accepting means without any openid, and the author by a neutral name', async () => {
    const promise = await create(t, alice, 'ask', {
      hour: 21,
      min: 5,
      detail: '早点睡',
      counterpartName: '小王',
    });
    const res = await api(t).get(`/api/promises/invites/${promise.invite?.code}`).set(bob.auth);
    expect(res.body.data).toEqual({
      type: 'ask',
      author: { name: '某人', named: false },
      counterpartName: '小王',
      detail: '早点睡',
      time: '21:05',
      timezone: 'Asia/Shanghai',
      expiresAt: promise.invite?.expiresAt,
      state: 'open',
      reminded: 'counterpart',
      note: expect.stringContaining('you are reminded'),
    });
    await t.redis.hSet(t.instance.keys.user(alice.openid), 'displayName', 'Alice');
    const named = await api(t).get(`/api/promises/invites/${promise.invite?.code}`).set(bob.auth);
    expect(named.body.data.author).toEqual({ name: 'Alice', named: true });
    expect(JSON.stringify(named.body)).not.toContain(alice.openid);
    const mine = await api(t).get(`/api/promises/invites/${promise.invite?.code}`).set(alice.auth);
    expect(mine.body.data.state).toBe('own');
  });
});

describe('a promise seen by someone who is not a party to it', () => {
  it('is a 404 to read, keep or end, and stays out of their list', async () => {
    const promise = await create(t, alice, 'give', { hour: 6, min: 0, detail: '晨跑' });
    await accept(t, bob, promise.invite?.code ?? '');
    const stranger = [
      await api(t).get(`/api/promises/${promise.id}`).set(eve.auth),
      await api(t).post(`/api/promises/${promise.id}/keep`).set(eve.auth).send({}),
      await api(t).delete(`/api/promises/${promise.id}`).set(eve.auth),
    ];
    expect(stranger.map((r) => [r.status, r.body.errcode])).toEqual([
      [404, 40430],
      [404, 40430],
      [404, 40430],
    ]);
    const list = await api(t).get('/api/promises').set(eve.auth);
    expect(list.body.data.items.map((p: { id: string }) => p.id)).not.toContain(promise.id);
    // The parties themselves see it (the control), and it is still active.
    expect((await api(t).get(`/api/promises/${promise.id}`).set(bob.auth)).body.data.status).toBe('active');
    expect((await api(t).get('/api/promises/999999').set(alice.auth)).status).toBe(404);
    expect((await api(t).get('/api/promises/abc').set(alice.auth)).status).toBe(400);
    expect((await api(t).get(`/api/promises/${promise.id}`)).status).toBe(401);
  });

  it('lets only the person reminded keep: the witness of a give and the author of an ask get 403', async () => {
    const give = await create(t, alice, 'give', { hour: 6, min: 0, detail: '晨跑' });
    await accept(t, bob, give.invite?.code ?? '');
    const witness = await api(t).post(`/api/promises/${give.id}/keep`).set(bob.auth).send({});
    expect([witness.status, witness.body.errcode]).toEqual([403, 40330]);
    const ask = await create(t, alice, 'ask', { hour: 6, min: 0, detail: '晨跑' });
    const early = await api(t).post(`/api/promises/${ask.id}/keep`).set(alice.auth).send({});
    expect([early.status, early.body.errcode]).toEqual([403, 40330]);
    await accept(t, bob, ask.invite?.code ?? '');
    const author = await api(t).post(`/api/promises/${ask.id}/keep`).set(alice.auth).send({});
    expect([author.status, author.body.errcode]).toEqual([403, 40330]);
  });
});
