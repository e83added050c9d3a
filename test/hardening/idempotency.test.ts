import request from 'supertest';
import { login, useSandbox, type TestInstance } from '../support/harness';

const env = useSandbox();
let t: TestInstance;
let token: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  token = await login(t, 'idem#1');
});

const api = () => request(t.instance.app.callback());
const post = (path: string, key: string, body: object) =>
  api().post(path).set('Authorization', `Bearer ${token}`).set('Idempotency-Key', key).send(body);
const at = Date.now() + 3_600_000;

async function stored(): Promise<number> {
  const openid = await t.redis.hGet(t.instance.keys.session(token), 'openid');
  return t.redis.zCard(t.instance.keys.userReminders(openid ?? ''));
}

// docs/architecture.md#idempotent-creates
describe('Idempotency-Key', () => {
  it('answers a retry with the same body with the first reminder and Idempotent-Replayed: true', async () => {
    const first = await post('/api/reminders', 'same-1', { title: 'once', at });
    // Key order and Unicode spelling do not make another request: the cleaned input is compared.
    const again = await post('/api/reminders', 'same-1', { at, title: 'once' });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data.id).toBe(first.body.data.id);
  });

  it('answers the key replayed with another body with 422, storing nothing', async () => {
    await post('/api/reminders', 'body-1', { title: 'first', at });
    const before = await stored();
    const other = await post('/api/reminders', 'body-1', { title: 'second', at });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ errcode: 42201, details: [{ path: 'Idempotency-Key' }] });
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(await stored()).toBe(before);
  });

  it('answers the key replayed on another route with 422, never another kind of answer', async () => {
    await post('/api/reminders', 'route-1', { title: 'a reminder', at });
    const promise = await post('/api/promises/ask', 'route-1', { cid: 1, hour: 8, min: 0 });
    expect(promise.status).toBe(422);
    expect(promise.body.data).toBeUndefined();
    const give = await post('/api/promises/give', 'route-2', { cid: 1, hour: 8, min: 0 });
    expect(give.status).toBe(201);
    const ask = await post('/api/promises/ask', 'route-2', { cid: 1, hour: 8, min: 0 });
    expect(ask.status).toBe(422);
    const legacy = await post('/api/reminder', 'route-2', { title: 'x', reminderTime: at });
    expect(legacy.status).toBe(422);
  });

  it('keeps keys per user: another user may use the same key', async () => {
    await post('/api/reminders', 'mine-1', { title: 'mine', at });
    const other = await login(t, 'someone-else#1');
    const res = await api()
      .post('/api/reminders')
      .set('Authorization', `Bearer ${other}`)
      .set('Idempotency-Key', 'mine-1')
      .send({ title: 'theirs', at });
    expect(res.status).toBe(201);
    expect(res.body.data.title).toBe('theirs');
  });
});
