import { login, useSandbox, type TestInstance } from '../support/harness';
import { api, person, type Person } from './promise-helpers';

/** Idempotency-Key on promise creates: a retry answers the first promise, another request's key is a 422. */
const env = useSandbox();
let t: TestInstance;
let ida: Person;

beforeAll(async () => {
  t = await env.start();
  ida = await person(t, env.sandbox, 'ida');
});

const post = (path: string, key: string, body: object) =>
  api(t).post(path).set(ida.auth).set('Idempotency-Key', key).send(body);
const promisesOf = async (who: Person) =>
  (await api(t).get('/api/promises?limit=100').set(who.auth)).body.data.items.length;

describe('POST /api/promises/:type with an Idempotency-Key', () => {
  it('answers a retried ask with the first promise and its invite, storing one', async () => {
    const body = { hour: 8, min: 0, detail: '背单词' };
    const first = await post('/api/promises/ask', 'ask-1', body);
    const again = await post('/api/promises/ask', 'ask-1', body);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data).toMatchObject({ id: first.body.data.id, invite: first.body.data.invite });
    // Retries racing each other: one promise.
    const raced = await Promise.all([1, 2, 3].map(() => post('/api/promises/ask', 'ask-2', body)));
    expect(new Set(raced.map((r) => r.body.data.id)).size).toBe(1);
    expect(await promisesOf(ida)).toBe(2);
  });

  it('answers 422 for a key used by another create: ask, give, reminder or legacy route alike', async () => {
    const ask = await post('/api/promises/ask', 'mixed-1', { hour: 8, min: 0 });
    expect(ask.status).toBe(201);
    const before = await promisesOf(ida);
    const reuses = [
      await post('/api/promises/ask', 'mixed-1', { hour: 9, min: 0 }), // another body
      await post('/api/promises/give', 'mixed-1', { hour: 8, min: 0 }), // another route
      await post('/api/reminders', 'mixed-1', { title: 'x', at: Date.now() + 60_000 }),
      await post('/api/reminder', 'mixed-1', { title: 'x', reminderTime: Date.now() + 60_000 }),
    ];
    expect(reuses.map((r) => [r.status, r.body.errcode])).toEqual(Array(4).fill([422, 42201]));
    const reminder = await post('/api/reminders', 'mixed-2', { title: 'x', at: Date.now() + 60_000 });
    expect(reminder.status).toBe(201);
    expect((await post('/api/promises/ask', 'mixed-2', { hour: 8, min: 0 })).status).toBe(422);
    expect(await promisesOf(ida)).toBe(before);
    // The same key is another user's to use (the control).
    const other = await login(t, 'jo#1');
    const theirs = await api(t)
      .post('/api/promises/ask')
      .set('Authorization', `Bearer ${other}`)
      .set('Idempotency-Key', 'mixed-1')
      .send({ hour: 8, min: 0 });
    expect(theirs.status).toBe(201);
  });
});
