import type request from 'supertest';
import type { ConsoleLoginView, ConsoleSessionView } from '../../src/http/presenters/console';
import { listRoutes, routeName } from '../docs/routes';
import { api, bearer, login, TestClock, useSandbox, type TestInstance } from '../support/harness';
import { data, type ErrorBody } from '../support/api-types';
import { Browser, CONSOLE_COOKIE, HOST, LOGIN_COOKIE, documented, setCookies } from './console-helpers';

// The web console's sign-in (ADMIN_TOKEN, QR scan approved from the mini-program), its
// cookie session with CSRF protection, and what a session may reach.
const env = useSandbox();
const clock = new TestClock();
let t: TestInstance;

beforeAll(async () => {
  t = await env.start({ now: clock.now, config: { wx: { sandbox: true } } });
});

const errcode = (res: { body: unknown }) => (res.body as ErrorBody).errcode;

// The routes a client calls before it has a session: they are how it gets one.
const SIGN_IN = new Set([
  'POST /api/console/operator-login',
  'POST /api/console/login',
  'GET /api/console/login/{nonce}',
  'POST /api/console/login/{nonce}/approve',
  'POST /api/console/login/{nonce}/simulate',
]);

describe('console routes without a session', () => {
  it('answer 401 to every console route but the sign-in ones, and nothing else', async () => {
    const routes = listRoutes(t.instance.app).filter((r) => r.path.startsWith('/api/console/'));
    expect(routes.length).toBeGreaterThanOrEqual(10); // the enumeration works
    const answers: Record<string, number> = {};
    for (const r of routes.filter((x) => !SIGN_IN.has(routeName(x)))) {
      const path = r.path.replace(/\{[^}]+\}/g, '1');
      const res = await api(t)[r.method.toLowerCase() as 'get'](path).send({});
      answers[routeName(r)] = res.status;
      expect(Object.keys(res.body as object)).toEqual(['errcode', 'errmsg']); // no data of any kind
    }
    expect(Object.values(answers).every((s) => s === 401)).toBe(true);
    expect(Object.keys(answers)).toEqual(
      expect.arrayContaining([
        'GET /api/console/session',
        'POST /api/console/logout',
        'GET /api/console/ops/overview',
      ]),
    );
  });

  it('answer 401 to every API route a console page calls, whatever the feature, and nothing else', async () => {
    // How a client gets a session, what WeChat and monitoring call, and what is public by design.
    const open = new Set([
      ...SIGN_IN,
      'POST /api/login',
      'GET /api/health',
      'GET /api/wx/message',
      'POST /api/wx/message',
    ]);
    const routes = listRoutes(t.instance.app).filter((r) => r.path.startsWith('/api/'));
    expect(routes.length).toBeGreaterThanOrEqual(60); // the enumeration works
    const answered: string[] = [];
    for (const r of routes.filter((x) => !open.has(routeName(x)))) {
      const path = r.path.replace(/\{[^}]+\}/g, '1');
      const res = await api(t)[r.method.toLowerCase() as 'get'](path).set('Origin', HOST).send({});
      if (res.status !== 401 || Object.keys(res.body as object).join() !== 'errcode,errmsg') {
        answered.push(`${routeName(r)} ${res.status}`);
      }
    }
    expect(answered).toEqual([]);
    // Positive control: a public route answers without one.
    expect((await api(t).get('/api/health')).status).toBe(200);
  });

  it('answers 401 with an unknown or forged cookie', async () => {
    const res = await api(t)
      .get('/api/console/session')
      .set('Cookie', `${CONSOLE_COOKIE}=forged-token-value`);
    expect(res.status).toBe(401);
    expect(errcode(res)).toBe(40190);
    const groups = await api(t).get('/api/groups').set('Cookie', `${CONSOLE_COOKIE}=forged-token-value`);
    expect(groups.status).toBe(401);
  });
});

describe('POST /api/console/operator-login', () => {
  it('refuses a wrong ADMIN_TOKEN with 401 and sets no cookie', async () => {
    const b = new Browser(t);
    const res = await b
      .call('post', '/api/console/operator-login')
      .send({ token: 'not-the-admin-token-at-all' });
    documented('POST', '/api/console/operator-login', res);
    expect(res.status).toBe(401);
    expect(errcode(res)).toBe(40103);
    expect(setCookies(res)).toEqual([]);
  });

  it('sets an HttpOnly, SameSite=Strict session cookie and gives the page only the CSRF token', async () => {
    const b = new Browser(t);
    const res = b.keep(
      await b.call('post', '/api/console/operator-login').send({ token: t.config.adminToken }),
    );
    documented('POST', '/api/console/operator-login', res);
    expect(res.status).toBe(200);
    const [cookie] = setCookies(res);
    expect(cookie).toMatchObject({
      name: CONSOLE_COOKIE,
      attributes: { httponly: true, samesite: 'strict', path: '/' },
    });
    expect(cookie?.attributes.secure).toBeUndefined(); // plain http on loopback
    const session = data<ConsoleSessionView>(res);
    expect(session).toEqual({
      kind: 'operator',
      csrfToken: expect.any(String),
      expiresAt: expect.any(String),
      sandbox: true,
    });
    expect(res.text).not.toContain(t.config.adminToken);
    expect(res.text).not.toContain(cookie?.value);
    // No key names the session's token: only its digest.
    const keys = await t.redis.keys(`${t.config.redisPrefix}console:session:*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((k) => k.includes(cookie?.value ?? '?'))).toBe(false);
    // The session reads the admin API and the overview; GET needs no CSRF token.
    expect((await b.call('get', '/api/admin/stats').expect(200)).body.data.sends).toBeDefined();
    expect((await b.call('get', '/api/console/ops/overview')).status).toBe(200);
  });

  it('is refused from another origin (a login CSRF)', async () => {
    const b = new Browser(t, 'http://evil.example');
    const res = await b.call('post', '/api/console/operator-login').send({ token: t.config.adminToken });
    documented('POST', '/api/console/operator-login', res);
    expect(res.status).toBe(403);
    expect(errcode(res)).toBe(40390);
    expect(setCookies(res)).toEqual([]);
  });
});

describe('cookie sessions and CSRF', () => {
  it('refuses a write without the X-CSRF-Token header, with a wrong one, or from another origin; takes the right one', async () => {
    const b = new Browser(t);
    await b.operatorLogin();
    const reload = (options: { csrf?: boolean; origin?: string | null }) =>
      b.call('post', '/api/admin/jobs/reload', options).send({});
    const none = await reload({ csrf: false });
    expect([none.status, errcode(none)]).toEqual([403, 40390]);
    const foreign = await reload({ origin: 'http://evil.example' });
    expect([foreign.status, errcode(foreign)]).toEqual([403, 40390]);
    const crossSite = await reload({ origin: null }).set('Sec-Fetch-Site', 'same-site');
    expect([crossSite.status, errcode(crossSite)]).toEqual([403, 40390]);
    const wrong = await b
      .call('post', '/api/admin/jobs/reload', { csrf: false })
      .set('X-CSRF-Token', 'x'.repeat(43))
      .send({});
    expect([wrong.status, errcode(wrong)]).toEqual([403, 40390]);
    // Positive control: the same write from the console's origin with its token goes through.
    const ok = await reload({});
    expect(ok.status).toBe(200);
  });

  it('signs out: the cookie is cleared and the session is gone from Redis', async () => {
    const b = new Browser(t);
    await b.operatorLogin();
    const jar = [...b.cookies];
    documented('GET', '/api/console/session', await b.call('get', '/api/console/session'));
    documented(
      'POST',
      '/api/console/logout',
      await b.call('post', '/api/console/logout', { csrf: false }).send({}),
    );
    const out = b.keep(await b.call('post', '/api/console/logout').send({}));
    documented('POST', '/api/console/logout', out);
    expect(out.status).toBe(200);
    expect(b.cookies.has(CONSOLE_COOKIE)).toBe(false);
    b.cookies.clear();
    for (const [k, v] of jar) b.cookies.set(k, v); // a copy of the old cookie is worth nothing now
    expect((await b.call('get', '/api/console/session')).status).toBe(401);
  });

  it('expires after CONSOLE_SESSION_TTL_SECONDS by the service clock', async () => {
    const b = new Browser(t);
    await b.operatorLogin();
    expect((await b.call('get', '/api/console/session')).status).toBe(200);
    clock.advance(43_200_000 + 1000);
    try {
      const res = await b.call('get', '/api/console/session');
      expect([res.status, errcode(res)]).toEqual([401, 40190]);
    } finally {
      clock.advance(-(43_200_000 + 1000));
    }
  });

  it('keeps each kind to its own pages: operators are no users, publishers no operators', async () => {
    const operator = new Browser(t);
    await operator.operatorLogin();
    const asUser = await operator.call('get', '/api/groups');
    expect([asUser.status, errcode(asUser)]).toEqual([403, 40391]);
    const publisher = new Browser(t);
    await publisher.publisherLogin('petra');
    const asAdmin = await publisher.call('get', '/api/admin/stats');
    expect([asAdmin.status, errcode(asAdmin)]).toEqual([403, 40391]);
    expect((await publisher.call('get', '/api/console/ops/overview')).status).toBe(403);
    expect((await publisher.call('get', '/api/groups')).status).toBe(200);
  });
});

describe('QR sign-in (POST /api/console/login → approve → poll)', () => {
  it('shows a getwxacodeunlimit code for scene l:<nonce> and hands the approved session to the page that polls', async () => {
    const b = new Browser(t);
    const started = b.keep(await b.call('post', '/api/console/login').send({}));
    documented('POST', '/api/console/login', started);
    expect(started.status).toBe(201);
    const view = data<ConsoleLoginView>(started);
    expect(view.qrcode).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect(view.scene).toBe(`l:${view.nonce}`);
    expect(view.simulate).toBe(true);
    const call = env.sandbox.wxacodes.calls.at(-1);
    expect(call).toMatchObject({ scene: `l:${view.nonce}`, page: 'pages/console/login' });
    expect(setCookies(started)[0]).toMatchObject({
      name: LOGIN_COOKIE,
      attributes: { httponly: true, samesite: 'strict', path: '/api/console/login' },
    });

    const poller = b.cookies.get(LOGIN_COOKIE) ?? '';
    const pending = await b.poll(view.nonce);
    documented('GET', '/api/console/login/{nonce}', pending);
    expect(data(pending)).toEqual({ status: 'pending' });
    expect(setCookies(pending).some((c) => c.name === CONSOLE_COOKIE)).toBe(false);

    // The mini-program user who scanned approves with their Bearer session.
    const token = await login(t, 'quinn#1');
    const noBearer = await api(t).post(`/api/console/login/${view.nonce}/approve`).send({});
    documented('POST', '/api/console/login/{nonce}/approve', noBearer);
    expect(noBearer.status).toBe(401);
    const approved = await api(t)
      .post(`/api/console/login/${view.nonce}/approve`)
      .set(bearer(token))
      .send({});
    documented('POST', '/api/console/login/{nonce}/approve', approved);
    expect(approved.status).toBe(200);
    const again = await api(t)
      .post(`/api/console/login/${view.nonce}/approve`)
      .set(bearer(await login(t, 'rex#1')))
      .send({});
    documented('POST', '/api/console/login/{nonce}/approve', again);
    expect([again.status, errcode(again)]).toEqual([409, 40990]);

    const done = await b.poll(view.nonce);
    documented('GET', '/api/console/login/{nonce}', done);
    expect(done.status).toBe(200);
    const body = data<{ status: string; session: ConsoleSessionView }>(done);
    expect(body).toMatchObject({ status: 'approved', session: { kind: 'publisher' } });
    expect(b.cookies.has(CONSOLE_COOKIE)).toBe(true);
    b.csrf = body.session.csrfToken;
    // Once: the poll cookie is cleared, and a replay of the poll with it finds nothing.
    expect(b.cookies.has(LOGIN_COOKIE)).toBe(false);
    const replay = await api(t)
      .get(`/api/console/login/${view.nonce}`)
      .set('Cookie', `${LOGIN_COOKIE}=${poller}`);
    documented('GET', '/api/console/login/{nonce}', replay);
    expect([replay.status, errcode(replay)]).toEqual([404, 40490]);

    // The session is quinn's: the groups quinn makes in the console are quinn's in the mini-program.
    const made = await b.call('post', '/api/groups').send({ name: '控制台建的群' });
    expect(made.status).toBe(201);
    const mine = await api(t).get('/api/groups').set(bearer(token));
    expect(mine.body.data.items.map((g: { name: string }) => g.name)).toContain('控制台建的群');
  });

  it('tells another browser nothing: a poll without the starting page’s cookie is refused', async () => {
    const b = new Browser(t);
    const { nonce } = await b.startLogin();
    const other = new Browser(t);
    const res = await other.poll(nonce);
    documented('GET', '/api/console/login/{nonce}', res);
    expect([res.status, errcode(res)]).toEqual([403, 40392]);
    // Even once approved, the other browser gets no session; the right one still does.
    await api(t)
      .post(`/api/console/login/${nonce}/approve`)
      .set(bearer(await login(t, 'sam#1')))
      .send({});
    expect((await other.poll(nonce)).status).toBe(403);
    expect(data<{ status: string }>(await b.poll(nonce)).status).toBe('approved');
  });

  it('expires after 2 minutes: approve and poll answer 404 and nothing is approved', async () => {
    const b = new Browser(t);
    const { nonce } = await b.startLogin();
    clock.advance(121_000);
    try {
      const approve = await api(t)
        .post(`/api/console/login/${nonce}/approve`)
        .set(bearer(await login(t, 'tom#1')))
        .send({});
      documented('POST', '/api/console/login/{nonce}/approve', approve);
      expect([approve.status, errcode(approve)]).toEqual([404, 40490]);
      expect((await b.poll(nonce)).status).toBe(404);
    } finally {
      clock.advance(-121_000);
    }
    // Positive control: a fresh one within its 2 minutes is approved.
    const fresh = await b.startLogin();
    const ok = await api(t)
      .post(`/api/console/login/${fresh.nonce}/approve`)
      .set(bearer(await login(t, 'tom#2')))
      .send({});
    expect(ok.status).toBe(200);
  });

  it('approves as a sandbox user with "simulate the scan" (sandbox mode)', async () => {
    const b = new Browser(t);
    const { nonce } = await b.startLogin();
    const res = await b.call('post', `/api/console/login/${nonce}/simulate`).send({ name: 'ursula' });
    documented('POST', '/api/console/login/{nonce}/simulate', res);
    expect(res.status).toBe(200);
    const body = data<{ status: string; session: ConsoleSessionView }>(await b.poll(nonce));
    expect(body.status).toBe('approved');
    b.csrf = body.session.csrfToken;
    // ursula's groups, as the mini-program sees them after her own login.
    await b.call('post', '/api/groups').send({ name: 'U 的群' }).expect(201);
    const viaApp = await api(t)
      .get('/api/groups')
      .set(bearer(await login(t, 'ursula#9')));
    expect(viaApp.body.data.items.map((g: { name: string }) => g.name)).toEqual(['U 的群']);
    const bad = await b.call('post', `/api/console/login/${nonce}/simulate`).send({ name: 'a b' });
    documented('POST', '/api/console/login/{nonce}/simulate', bad);
    expect(bad.status).toBe(400);
  });

  it('limits sign-ins started from one address to 20 a minute', async () => {
    const b = new Browser(await env.start({ start: false }));
    const client = { 'X-Forwarded-For': '203.0.113.9' }; // ignored: TRUST_PROXY is off, every call is 127.0.0.1
    let last = 0;
    let limited: request.Response | undefined;
    for (let i = 0; i < 25 && !limited; i++) {
      const res = await b.call('post', '/api/console/login').set(client).send({});
      if (res.status === 429) limited = res;
      else last = i + 1;
    }
    expect(limited && errcode(limited)).toBe(42990);
    if (limited) documented('POST', '/api/console/login', limited);
    expect(last).toBeLessThanOrEqual(20);
  });
});

describe('a publisher’s console sessions and their data', () => {
  it('end when they erase their data (DELETE /api/me)', async () => {
    const b = new Browser(t);
    await b.publisherLogin('vera');
    expect((await b.call('get', '/api/console/session')).status).toBe(200);
    const token = await login(t, 'vera#2');
    const exported = await api(t).get('/api/me/export').set(bearer(token));
    expect(exported.body.data.consoleSessions).toEqual([
      { createdAt: expect.any(String), expiresAt: expect.any(String) },
    ]);
    expect((await api(t).delete('/api/me').set(bearer(token))).status).toBe(200);
    expect((await b.call('get', '/api/console/session')).status).toBe(401);
  });
});

describe('without the sandbox and behind a proxy', () => {
  it('has no "simulate the scan" with real WeChat', async () => {
    const real = await env.start({ start: false });
    const b = new Browser(real);
    const { nonce, simulate } = await b.startLogin();
    expect(simulate).toBe(false);
    const res = await b.call('post', `/api/console/login/${nonce}/simulate`).send({ name: 'x' });
    expect([res.status, errcode(res)]).toEqual([404, 40492]);
  });

  it('marks the cookie Secure when a trusted proxy says https, and only then', async () => {
    const proxied = await env.start({ start: false, config: { trustProxy: true } });
    const direct = await env.start({ start: false });
    const signIn = (target: TestInstance) =>
      api(target)
        .post('/api/console/operator-login')
        .set('Host', HOST)
        .set('X-Forwarded-Proto', 'https')
        .set('Origin', `https://${HOST}`)
        .send({ token: target.config.adminToken });
    const viaProxy = await signIn(proxied);
    expect(viaProxy.status).toBe(200);
    expect(setCookies(viaProxy)[0]?.attributes.secure).toBe(true);
    // Untrusted, the header is ignored: the request is http, so an https Origin is another origin.
    const forged = await signIn(direct);
    expect([forged.status, errcode(forged)]).toEqual([403, 40390]);
  });
});
