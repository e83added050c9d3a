import request from 'supertest';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { TEST_SECRET, TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, present, type LoginView } from '../support/api-types';

const SESSION_TTL_SECONDS = 600;
const clock = new TestClock();
const env = useSandbox();
let sandbox: WeChatSandbox;
let t: TestInstance;
const bodies: string[] = [];

beforeAll(async () => {
  ({ sandbox } = env);
  t = await env.start({ config: { sessionTtlSeconds: SESSION_TTL_SECONDS }, now: clock.now });
});

const api = () => request(t.instance.app.callback());

async function postLogin(code: string) {
  const res = await api().post('/api/login').send({ code });
  bodies.push(JSON.stringify(res.body));
  return res;
}

describe('POST /api/login', () => {
  it('exchanges a wx.login code for a session token the API accepts', async () => {
    const res = await postLogin('alice#1');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ token: expect.any(String), expiresAt: expect.any(String) });
    expect(Object.keys(res.body.data)).not.toContain('session_key');
    const list = await api().get('/api/reminders').set('Authorization', `Bearer ${res.body.data.token}`);
    bodies.push(JSON.stringify(list.body));
    expect(list.status).toBe(200);
    // The session and the user are readable in Redis, keyed by the sandbox's openid for alice.
    const session = await t.redis.hGetAll(t.instance.keys.session(res.body.data.token));
    expect(session.openid).toBe(sandbox.openIdFor('alice'));
    const openid = present(session.openid, 'an openid');
    expect(await t.redis.hGet(t.instance.keys.user(openid), 'openid')).toBe(openid);
  });

  it('answers an invalid code (40029) with 400 naming code', async () => {
    const res = await postLogin('invalid-code');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errcode: 40003, details: [{ path: 'code' }] });
  });

  it('answers a used code (40163) with 400 asking for a new wx.login', async () => {
    expect((await postLogin('bob#1')).status).toBe(200);
    const again = await postLogin('bob#1');
    expect(again.status).toBe(400);
    expect(again.body.errmsg).toMatch(/already used/);
  });

  it('answers WeChat busy (-1) with 503 and too frequent (45011) with 429', async () => {
    sandbox.faults.loginNext = [{ errcode: -1 }, { errcode: 45011 }];
    expect((await postLogin('carol#1')).status).toBe(503);
    expect((await postLogin('carol#2')).status).toBe(429);
  });

  it('answers WeChat unreachable with 503', async () => {
    sandbox.faults.loginNext = [{ http: 502 }];
    const res = await postLogin('dave#1');
    expect(res.status).toBe(503);
    expect(res.body.errcode).toBe(50302);
  });

  it('never stores or returns the session_key to the client and never logs secrets', async () => {
    const res = await postLogin('erin#1');
    const token = data<LoginView>(res).token;
    const sessionKey = await t.redis.hGet(t.instance.keys.session(token), 'sessionKey');
    expect(sessionKey).toBeTruthy();
    const logs = t.logs.text();
    const everything = bodies.join('\n');
    for (const secret of [present(sessionKey, 'a session_key'), TEST_SECRET]) {
      expect(everything).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toContain(token);
  });
});

describe('auth()', () => {
  it('rejects a missing Authorization header with 401', async () => {
    const res = await api().get('/api/reminders');
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe(40101);
  });

  it('rejects a garbled Authorization header with 401', async () => {
    for (const header of ['Bearer', 'Basic abc', 'Bearer short', `Bearer ${'x'.repeat(40)} extra`]) {
      const res = await api().get('/api/reminders').set('Authorization', header);
      expect(res.status).toBe(401);
    }
  });

  it('rejects an unknown token with 401', async () => {
    const res = await api()
      .get('/api/reminders')
      .set('Authorization', `Bearer ${'A'.repeat(43)}`);
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe(40102);
  });

  it('gives a session SESSION_TTL_SECONDS from the login, and rejects it with 401 once that is over', async () => {
    clock.advance(86_400_000); // expiresAt follows the instance's clock, not the machine's
    const loggedIn = await postLogin('frank#1');
    const token = data<LoginView>(loggedIn).token;
    expect(Date.parse(loggedIn.body.data.expiresAt) - clock.now()).toBeGreaterThan(
      (SESSION_TTL_SECONDS - 60) * 1000,
    );
    expect(Date.parse(loggedIn.body.data.expiresAt) - clock.now()).toBeLessThanOrEqual(
      SESSION_TTL_SECONDS * 1000,
    );
    expect((await api().get('/api/reminders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    // Redis keeps the session exactly that long; its expiry is Redis's, brought forward here.
    const key = t.instance.keys.session(token);
    const ttl = await t.redis.pTTL(key);
    expect(ttl).toBeGreaterThan((SESSION_TTL_SECONDS - 60) * 1000);
    expect(ttl).toBeLessThanOrEqual(SESSION_TTL_SECONDS * 1000);
    await t.redis.pExpire(key, 1);
    await waitFor(async () => (await t.redis.exists(key)) === 0);
    const res = await api().get('/api/reminders').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
  });
});
