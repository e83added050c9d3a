import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { login, useSandbox, type TestInstance } from '../support/harness';

const env = useSandbox();
let t: TestInstance;
let token: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  token = await login(t, 'every#1');
});

const api = () => request(t.instance.app.callback());
const auth = () => ({ Authorization: `Bearer ${token}` });
const past = () => Date.now() - 60_000;
const TWENTY_ONE = '一二三四五六七八九十一二三四五六七八九十一'; // one more than a thing field holds
const paths = (res: request.Response) => (res.body.details as { path: string }[]).map((d) => d.path).sort();

async function stored(): Promise<number> {
  const openid = await t.redis.hGet(t.instance.keys.session(token), 'openid');
  return t.redis.zCard(t.instance.keys.userReminders(openid ?? ''));
}

/** The example of docs/client.md's "Showing 400 details" section, as JSON. */
function clientDocExample(): unknown {
  const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'client.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Showing 400 details'));
  const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/client.md has no JSON example under "Showing 400 details"');
  return JSON.parse(block);
}

// docs/architecture.md#input-rules
describe('a 400 names every problem of the body at once', () => {
  it('answers the example of docs/client.md exactly: an empty title and a past at', async () => {
    const res = await api().post('/api/reminders').set(auth()).send({ title: '', at: past() });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(clientDocExample());
  });

  it('names a wrong type and a past at together', async () => {
    const before = await stored();
    const res = await api().post('/api/reminders').set(auth()).send({ title: 5, at: past() });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['at', 'title']);
    expect(await stored()).toBe(before);
  });

  it('names shape, schedule and template problems together', async () => {
    const before = await stored();
    const res = await api()
      .post('/api/reminders')
      .set(auth())
      .send({ title: TWENTY_ONE, detail: TWENTY_ONE, at: past(), page: 5, timezone: 'Mars/Base', extra: 1 });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['at', 'detail', 'extra', 'page', 'timezone', 'title']);
    expect(res.body.details.find((d: { path: string }) => d.path === 'title').message).toContain('thing1');
    expect(await stored()).toBe(before);
  });

  it('names a broken repeat next to a shape problem', async () => {
    const res = await api()
      .post('/api/reminders')
      .set(auth())
      .send({ title: '', repeat: { cron: '61 * * * *' } });
    expect(paths(res)).toEqual(['repeat.cron', 'title']);
  });

  it('does the same on an edit', async () => {
    const created = await api()
      .post('/api/reminders')
      .set(auth())
      .send({ title: 'edit me', at: Date.now() + 3_600_000 });
    const res = await api()
      .patch(`/api/reminders/${created.body.data.id}`)
      .set(auth())
      .send({ title: 5, detail: TWENTY_ONE, at: past() });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['at', 'detail', 'title']);
    const kept = await api().get(`/api/reminders/${created.body.data.id}`).set(auth());
    expect(kept.body.data.title).toBe('edit me');
  });

  it('does the same for a promise: a bad hour and a detail too long for the template', async () => {
    const before = await stored();
    const res = await api()
      .post('/api/promises/give')
      .set(auth())
      .send({ cid: 1, hour: 24, min: 0, detail: TWENTY_ONE });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['detail', 'hour']);
    expect(await stored()).toBe(before);
  });

  it('names the original client’s own fields on its route', async () => {
    const res = await api()
      .post('/api/reminder')
      .set(auth())
      .send({ title: 5, time: TWENTY_ONE, reminderTime: past() });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['reminderTime', 'time', 'title']);
  });

  it('names a malformed Idempotency-Key with the body’s problems', async () => {
    const res = await api()
      .post('/api/reminders')
      .set(auth())
      .set('Idempotency-Key', 'has spaces')
      .send({ title: '', at: past() });
    expect(paths(res)).toEqual(['Idempotency-Key', 'at', 'title']);
  });
});
