import request from 'supertest';
import { login, useSandbox, type TestInstance } from '../support/harness';

const env = useSandbox();
let t: TestInstance;
let token: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  token = await login(t, 'text#1');
});

const api = () => request(t.instance.app.callback());
const auth = () => ({ Authorization: `Bearer ${token}` });
const inAnHour = () => Date.now() + 3_600_000;
// supertest would re-encode a lone surrogate as U+FFFD: the body is written as JSON escapes instead.
const raw = (path: string, json: string) =>
  api().post(path).set(auth()).set('Content-Type', 'application/json').send(json);

async function stored(): Promise<number> {
  const openid = await t.redis.hGet(t.instance.keys.session(token), 'openid');
  return t.redis.zCard(t.instance.keys.userReminders(openid ?? ''));
}

// docs/architecture.md#input-rules
describe('text fields', () => {
  it('stores text NFC-normalised: e + combining accent is é', async () => {
    const res = await api()
      .post('/api/reminders')
      .set(auth())
      .send({ title: 'cafe\u0301', detail: 'A\u030a', page: 'pages/e\u0301', at: inAnHour() });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ title: 'café', detail: 'Å', page: 'pages/é' });
    const hash = await t.redis.hGetAll(t.instance.keys.reminder(res.body.data.id));
    expect([hash.title, hash.detail, hash.page]).toEqual(['café', 'Å', 'pages/é']);
  });

  it.each([
    ['title', 'NUL', '{"title":"a\\u0000b","at":AT}', '/api/reminders'],
    ['title', 'ESC', '{"title":"\\u001b[31mred","at":AT}', '/api/reminders'],
    ['title', 'a line break', '{"title":"two\\nlines","at":AT}', '/api/reminders'],
    ['title', 'a lone surrogate', '{"title":"x\\ud800","at":AT}', '/api/reminders'],
    ['detail', 'NUL', '{"title":"t","detail":"a\\u0000","at":AT}', '/api/reminders'],
    ['detail', 'a lone low surrogate', '{"title":"t","detail":"\\udc00","at":AT}', '/api/reminders'],
    ['detail', 'a carriage return', '{"title":"t","detail":"a\\r\\nb","at":AT}', '/api/reminders'],
    ['page', 'ESC', '{"title":"t","page":"pages/\\u001b","at":AT}', '/api/reminders'],
    ['page', 'a lone surrogate', '{"title":"t","page":"\\ud83d","at":AT}', '/api/reminders'],
    ['data.thing1', 'DEL', '{"title":"t","data":{"thing1":"a\\u007f"},"at":AT}', '/api/reminders'],
    ['cid', 'NUL', '{"cid":"c\\u0000","hour":8,"min":0}', '/api/promises/give'],
    ['cid', 'a lone surrogate', '{"cid":"\\ud800","hour":8,"min":0}', '/api/promises/give'],
    ['detail', 'ESC', '{"cid":"c","hour":8,"min":0,"detail":"\\u001b"}', '/api/promises/give'],
    ['time', 'a lone surrogate', '{"title":"t","time":"\\ud800","reminderTime":AT}', '/api/reminder'],
  ])('refuses %s with %s: 400 naming the field, nothing stored', async (field, _what, body, path) => {
    const before = await stored();
    const res = await raw(path, body.replace(/AT/g, String(inAnHour())));
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toEqual([field]);
    expect(await stored()).toBe(before);
  });

  it('keeps line breaks in a detail, and answers exactly what it stored', async () => {
    const res = await raw('/api/reminders', `{"title":"t","detail":"一\\n二","at":${inAnHour()}}`);
    expect(res.status).toBe(201);
    expect(res.body.data.detail).toBe('一\n二');
    expect(await t.redis.hGet(t.instance.keys.reminder(res.body.data.id), 'detail')).toBe('一\n二');
  });

  it('answers a login code with a lone surrogate with 400 naming code, not “WeChat is unavailable”', async () => {
    const res = await api()
      .post('/api/login')
      .set('Content-Type', 'application/json')
      .send('{"code":"ab\\ud800"}');
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toEqual(['code']);
    // Positive control: the same route logs in with a sane code.
    expect((await api().post('/api/login').send({ code: 'text#2' })).status).toBe(200);
  });
});
