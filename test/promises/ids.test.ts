import { useSandbox, type TestInstance } from '../support/harness';
import { api, create, person, view, type Person } from './promise-helpers';

/**
 * Promise ids on the sharded keyspace: a give shares its reminder's id, an ask reserves one from
 * the reminder id space (never a reminder's); every index entry is written before the record or
 * binding it lists, and a create that stopped before publishing is finished by its retried key.
 */
const env = useSandbox();
let t: TestInstance;
let pia: Person;

beforeAll(async () => {
  t = await env.start();
  pia = await person(t, env.sandbox, 'pia');
});

const remindersOf = async (who: Person) =>
  (await api(t).get('/api/reminders?limit=100').set(who.auth)).body.data.items as {
    id: string;
    kind: string;
    page: string;
  }[];

describe('promise ids', () => {
  it("gives a give its reminder's id and an ask an id no reminder has", async () => {
    const at = Date.now() + 3_600_000;
    const before = (await api(t).post('/api/reminders').set(pia.auth).send({ title: '喝水', at })).body.data;
    const ask = await create(t, pia, 'ask', { hour: 8, min: 0, detail: '背单词' });
    const give = await create(t, pia, 'give', { hour: 9, min: 0, detail: '跑步' });
    const after = (await api(t).post('/api/reminders').set(pia.auth).send({ title: '散步', at })).body.data;
    // The original client reads a give as its reminder: the same id, in the reminder list.
    const reminders = await remindersOf(pia);
    expect(reminders.find((r) => r.id === give.id)).toMatchObject({ kind: 'give' });
    expect(reminders.map((r) => r.id).sort()).toEqual([before.id, give.id, after.id].sort());
    // The ask's id is no reminder's: a reminder route does not find it.
    expect(new Set([before.id, ask.id, give.id, after.id]).size).toBe(4);
    expect((await api(t).get(`/api/reminders/${ask.id}`).set(pia.auth)).status).toBe(404);
    expect((await view(t, pia, ask.id)).detail).toBe('背单词');
    expect((await view(t, pia, give.id)).detail).toBe('跑步');
  });

  it('stores nothing for a give over the 500 pending reminders, and frees its Idempotency-Key', async () => {
    const full = await person(t, env.sandbox, 'full');
    for (let i = 0; i < 500; i++) {
      await t.instance.reminders.create(full.openid, { title: `r${i}`, at: Date.now() + 3_600_000 + i });
    }
    const post = () =>
      api(t)
        .post('/api/promises/give')
        .set(full.auth)
        .set('Idempotency-Key', 'give-full')
        .send({ hour: 8, min: 0, detail: '早起' });
    const refused = await post();
    expect([refused.status, refused.body.errcode]).toEqual([409, 40902]);
    expect((await api(t).get('/api/promises').set(full.auth)).body.data.items).toHaveLength(0);
    const one = (await remindersOf(full))[0];
    await api(t).delete(`/api/reminders/${one?.id}`).set(full.auth);
    const made = await post();
    expect(made.status).toBe(201);
    expect(made.headers['idempotent-replayed']).toBeUndefined();
    expect((await api(t).get('/api/promises').set(full.auth)).body.data.items).toHaveLength(1);
  }, 30_000);

  it("lists an accepted promise in the counterpart's index, and a refused accept in nobody's", async () => {
    const ask = await create(t, pia, 'ask', { hour: 6, min: 0, detail: '早睡' });
    const [kai, lou] = [await person(t, env.sandbox, 'kai'), await person(t, env.sandbox, 'lou')];
    const acceptAs = (who: Person) =>
      api(t).post(`/api/promises/invites/${ask.invite?.code}/accept`).set(who.auth).send({});
    expect((await acceptAs(kai)).status).toBe(200);
    expect((await acceptAs(lou)).status).toBe(409);
    const listOf = async (who: Person) =>
      ((await api(t).get('/api/promises').set(who.auth)).body.data.items as { id: string }[]).map(
        (p) => p.id,
      );
    expect(await listOf(kai)).toEqual([ask.id]);
    expect(await listOf(lou)).toEqual([]);
    expect(await t.redis.exists(t.instance.keys.userPromises(lou.openid))).toBe(0);
  });

  it('finishes a create that stopped before publishing when its key is replayed', async () => {
    const body = { hour: 7, min: 30, detail: '读书' };
    const post = (type: string, key: string) =>
      api(t).post(`/api/promises/${type}`).set(pia.auth).set('Idempotency-Key', key).send(body);
    const k = t.instance.keys;
    for (const type of ['give', 'ask']) {
      const first = await post(type, `halfway-${type}`);
      expect(first.status).toBe(201);
      const { id, invite } = first.body.data;
      // What a stop right after writing the record leaves: no invite lookup, no due entry.
      await t.redis.del(k.promiseInvite(invite.code));
      await t.redis.zRem(k.promisesDue(), id);
      expect((await api(t).get(`/api/promises/invites/${invite.code}`).set(pia.auth)).status).toBe(404);

      const again = await post(type, `halfway-${type}`);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.data.id).toBe(id);
      expect((await api(t).get(`/api/promises/invites/${invite.code}`).set(pia.auth)).status).toBe(200);
      // A give is due from its create; an ask only once accepted.
      expect((await t.redis.zScore(k.promisesDue(), id)) !== null).toBe(type === 'give');
    }
  });
});
