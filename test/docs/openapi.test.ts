import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { exerciseCheckinRoutes } from '../checkins/documented';
import { TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, type LoginView, type ReminderView } from '../support/api-types';
import { compareRoutes, listRoutes, routeName, type Route } from './routes';
import { SchemaChecker, type Schema } from './schema-check';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC_FILE = path.join(ROOT, 'docs', 'openapi.yaml');
const TEMPLATE = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
const PUSH_TOKEN = 'AAAAA';
// Operations that take no input and no credentials, so no 4XX applies.
const NO_CLIENT_ERRORS = new Set(['GET /api/health', 'GET /metrics']);
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, Schema>;
}
interface OpenApi {
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, unknown>>;
}

const doc = parse(readFileSync(DOC_FILE, 'utf8')) as OpenApi;
const checker = new SchemaChecker(doc as unknown as Schema);

function operations(): (Route & { operation: Operation })[] {
  return Object.entries(doc.paths).flatMap(([p, item]) =>
    HTTP_METHODS.filter((m) => item[m]).map((m) => ({
      method: m.toUpperCase(),
      path: p,
      operation: item[m] as Operation,
    })),
  );
}

function operation(method: string, docPath: string): Operation {
  const op = doc.paths[docPath]?.[method.toLowerCase()] as Operation | undefined;
  if (!op) throw new Error(`docs/openapi.yaml has no ${method} ${docPath}`);
  return op;
}

const env = useSandbox();
let t: TestInstance;
let pushed: TestInstance; // WX_TOKEN set: the push URL is live
const app = () => t.instance.app.callback();
const exercised = new Set<string>();

beforeAll(async () => {
  t = await env.start();
  pushed = await env.start({ config: { wx: { token: PUSH_TOKEN } }, start: false });
});

describe('docs/openapi.yaml against the app', () => {
  it('documents every route the app serves', () => {
    const documented = new Set(operations().map(routeName));
    const routes = listRoutes(t.instance.app);
    expect(routes.length).toBeGreaterThan(10); // the enumeration itself works
    const undocumented = routes.filter((r) => !documented.has(routeName(r))).map(routeName);
    expect(undocumented).toEqual([]);
  });

  it('documents no route the app does not serve', async () => {
    const served = new Set(listRoutes(t.instance.app).map(routeName));
    const notRouted = operations().filter((op) => !served.has(routeName(op)));
    // A route served by plain middleware (outside @koa/router) is not listed: ask the app itself,
    // which answers an unknown route 404 (40401) and a wrong method 405 (40501).
    const missing: string[] = [];
    for (const op of notRouted.sort(compareRoutes)) {
      const url = op.path.replace(/\{[^}]+\}/g, '1');
      const res = await request(app())[op.method.toLowerCase() as 'get'](url);
      if ([40401, 40501].includes(res.body?.errcode as number)) missing.push(routeName(op));
    }
    expect(missing).toEqual([]);
  });

  it('gives every operation an operationId, a summary, a 4XX answer and a 401 where a scheme applies', () => {
    const problems: string[] = [];
    for (const { method, path: p, operation: op } of operations()) {
      const name = `${method} ${p}`;
      if (!op.operationId) problems.push(`${name}: no operationId`);
      if (!op.summary) problems.push(`${name}: no summary`);
      const statuses = Object.keys(op.responses);
      const security = op.security ?? doc.security ?? [];
      if (!NO_CLIENT_ERRORS.has(name) && !statuses.some((s) => s.startsWith('4')))
        problems.push(`${name}: no 4XX answer`);
      if (security.some((s) => Object.keys(s).length > 0) && !statuses.includes('401'))
        problems.push(`${name}: secured but no 401`);
    }
    expect(problems).toEqual([]);
  });

  it('passes redocly lint (built-in rules, offline)', () => {
    const cli = path.join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    const run = spawnSync(process.execPath, [cli, 'lint', 'docs/openapi.yaml'], {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' },
      encoding: 'utf8',
      timeout: 45_000,
    });
    expect({ status: run.status, output: run.status === 0 ? '' : `${run.stdout}\n${run.stderr}` }).toEqual({
      status: 0,
      output: '',
    });
  }, 60_000);
});

/**
 * Holds an answer against the document: its status must be listed for the operation, and its body
 * must conform to the schema of that status and content type.
 */
function expectDocumented(method: string, docPath: string, res: request.Response): void {
  exercised.add(`${method} ${docPath}`);
  const response = operation(method, docPath).responses[String(res.status)];
  if (!response) {
    throw new Error(
      `${method} ${docPath} answered ${res.status} ${res.text}, a status the document does not list`,
    );
  }
  const content = checker.resolve(response).content as Record<string, { schema: Schema }> | undefined;
  const media = content?.[res.type];
  if (!media) throw new Error(`${method} ${docPath} ${res.status}: no ${res.type} content documented`);
  const body: unknown = res.type === 'application/json' ? res.body : res.text;
  expect({
    answer: `${method} ${docPath} ${res.status}`,
    problems: checker.check(media.schema, body),
  }).toEqual({
    answer: `${method} ${docPath} ${res.status}`,
    problems: [],
  });
}

describe('answers match the documented schemas', () => {
  let token: string;
  const auth = () => ({ Authorization: `Bearer ${token}` });

  it('POST /api/login', async () => {
    const ok = await request(app()).post('/api/login').send({ code: 'docs#1' });
    expect(ok.status).toBe(200);
    expectDocumented('POST', '/api/login', ok);
    token = data<LoginView>(ok).token;
    const reused = await request(app()).post('/api/login').send({ code: 'docs#1' });
    expect(reused.body.errcode).toBe(40003);
    expectDocumented('POST', '/api/login', reused);
    expectDocumented('POST', '/api/login', await request(app()).post('/api/login').send({}));
    const text = await request(app()).post('/api/login').set('Content-Type', 'text/plain').send('code');
    expect(text.status).toBe(415);
    expectDocumented('POST', '/api/login', text);
  });

  it('/api/subscriptions', async () => {
    const report = (body: object) => request(app()).post('/api/subscriptions').set(auth()).send(body);
    expectDocumented('POST', '/api/subscriptions', await report({ results: { [TEMPLATE]: 'accept' } }));
    const raw = await report({ errMsg: 'requestSubscribeMessage:ok', [TEMPLATE]: 'reject' });
    expect(raw.status).toBe(200);
    expectDocumented('POST', '/api/subscriptions', raw);
    expectDocumented('POST', '/api/subscriptions', await report({}));
    const view = await request(app()).get('/api/subscriptions').set(auth());
    expect(view.status).toBe(200);
    expectDocumented('GET', '/api/subscriptions', view);
    expectDocumented('GET', '/api/subscriptions', await request(app()).get('/api/subscriptions'));
  });

  it('/api/reminders and /api/reminders/{id}', async () => {
    const create = (body: object, headers: Record<string, string> = {}) =>
      request(app()).post('/api/reminders').set(auth()).set(headers).send(body);
    const soon = await create({ title: '喝水', at: Date.now() + 800 });
    expect(soon.status).toBe(201);
    expectDocumented('POST', '/api/reminders', soon);
    const id = data<ReminderView>(soon).id;

    const daily = { title: '站起来走走', repeat: { daily: '08:30' }, data: { thing3: '一杯' } };
    const first = await create(daily, { 'Idempotency-Key': 'docs-1' });
    const replay = await create(daily, { 'Idempotency-Key': 'docs-1' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.data.id).toBe(first.body.data.id);
    expectDocumented('POST', '/api/reminders', replay);
    const invalid = await create({ title: '', at: 'yesterday' });
    expect(invalid.status).toBe(400);
    expectDocumented('POST', '/api/reminders', invalid);
    const tooLong = await create({
      title: '这是一个超过二十个字的很长很长的提醒标题放不下',
      at: Date.now() + 60_000,
    });
    expect(tooLong.body.details).toEqual([expect.objectContaining({ path: 'title' })]);
    expectDocumented('POST', '/api/reminders', tooLong);
    const huge = await request(app())
      .post('/api/reminders')
      .set(auth())
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ title: 'x'.repeat(100 * 1024) }));
    expect(huge.status).toBe(413);
    expectDocumented('POST', '/api/reminders', huge);

    const sent = await waitFor(async () => {
      const res = await request(app()).get(`/api/reminders/${id}`).set(auth());
      return res.body.data?.status === 'sent' ? res : undefined;
    });
    expect(sent.body.data.deliveries.length).toBeGreaterThan(0);
    expectDocumented('GET', '/api/reminders/{id}', sent);
    expectDocumented(
      'GET',
      '/api/reminders/{id}',
      await request(app()).get('/api/reminders/999999').set(auth()),
    );
    expectDocumented(
      'GET',
      '/api/reminders/{id}',
      await request(app()).get('/api/reminders/abc').set(auth()),
    );

    const page = await request(app()).get('/api/reminders?limit=1').set(auth());
    expect(page.body.data.nextCursor).not.toBeNull();
    expectDocumented('GET', '/api/reminders', page);
    expectDocumented('GET', '/api/reminders', await request(app()).get('/api/reminders?limit=0').set(auth()));
    expectDocumented('GET', '/api/reminders', await request(app()).get('/api/reminders'));

    const dailyId = data<ReminderView>(first).id;
    const put = await request(app()).put(`/api/reminders/${dailyId}`).set(auth()).send({ detail: '慢慢' });
    expect(put.status).toBe(200);
    expectDocumented('PUT', '/api/reminders/{id}', put);
    const patched = await request(app())
      .patch(`/api/reminders/${dailyId}`)
      .set(auth())
      .send({ title: '走走' });
    expect(patched.status).toBe(200);
    expectDocumented('PATCH', '/api/reminders/{id}', patched);
    expectDocumented(
      'PATCH',
      '/api/reminders/{id}',
      await request(app()).patch(`/api/reminders/${dailyId}`).set(auth()).send({}),
    );
    const cancelled = await request(app()).delete(`/api/reminders/${dailyId}`).set(auth());
    expect(cancelled.body.data.status).toBe('cancelled');
    expectDocumented('DELETE', '/api/reminders/{id}', cancelled);
    const conflict = await request(app())
      .patch(`/api/reminders/${dailyId}`)
      .set(auth())
      .send({ title: '再走走' });
    expect(conflict.status).toBe(409);
    expectDocumented('PATCH', '/api/reminders/{id}', conflict);
    expectDocumented(
      'DELETE',
      '/api/reminders/{id}',
      await request(app()).delete('/api/reminders/999999').set(auth()),
    );
  });

  it('/api/promises/{type}', async () => {
    const promise = await request(app())
      .post('/api/promises/1')
      .set(auth())
      .send({ cid: 'c-1', hour: 8, min: 5, detail: '早起' });
    expect(promise.status).toBe(201);
    expect(promise.body.data).toMatchObject({ kind: 'ask', cid: 'c-1', repeat: { daily: '08:05' } });
    expectDocumented('POST', '/api/promises/{type}', promise);
    const bad = await request(app())
      .post('/api/promises/lend')
      .set(auth())
      .send({ cid: 1, hour: 24, min: 0 });
    expect(bad.status).toBe(400);
    expectDocumented('POST', '/api/promises/{type}', bad);
  });

  it('the legacy routes', async () => {
    const created = await request(app())
      .post('/api/reminder')
      .set(auth())
      .send({ title: '开会', time: '明天', reminderTime: Date.now() + 3_600_000, enableSubscribe: true });
    expect(created.status).toBe(201);
    expectDocumented('POST', '/api/reminder', created);
    expectDocumented(
      'POST',
      '/api/reminder',
      await request(app()).post('/api/reminder').set(auth()).send({}),
    );
    const deleted = await request(app())
      .delete(`/api/reminder/${data<ReminderView>(created).id}`)
      .set(auth());
    expect(deleted.status).toBe(200);
    expectDocumented('DELETE', '/api/reminder/{id}', deleted);
    expectDocumented('DELETE', '/api/reminder/{id}', await request(app()).delete('/api/reminder/1'));
  });

  it('/api/health, /api/admin/stats and the push URL', async () => {
    expectDocumented('GET', '/api/health', await request(app()).get('/api/health'));
    const admin = { Authorization: `Bearer ${t.config.adminToken ?? ''}` };
    const stats = await request(app()).get('/api/admin/stats?days=7').set(admin);
    expect(stats.status).toBe(200);
    expectDocumented('GET', '/api/admin/stats', stats);
    expectDocumented(
      'GET',
      '/api/admin/stats',
      await request(app()).get('/api/admin/stats?days=0').set(admin),
    );
    const reload = await request(app()).post('/api/admin/jobs/reload').set(admin);
    expect(reload.status).toBe(200);
    expectDocumented('POST', '/api/admin/jobs/reload', reload);
    expectDocumented('POST', '/api/admin/jobs/reload', await request(app()).post('/api/admin/jobs/reload'));
    const wrong = await request(app()).get('/api/admin/stats').set(auth());
    expect(wrong.status).toBe(401);
    expectDocumented('GET', '/api/admin/stats', wrong);
    // WX_TOKEN is unset in this instance: the push URL answers 503 before reading anything.
    const query = 'signature=x&timestamp=1714036504&nonce=1514711492';
    expectDocumented(
      'GET',
      '/api/wx/message',
      await request(app()).get(`/api/wx/message?${query}&echostr=1`),
    );
    const push = await request(app())
      .post(`/api/wx/message?${query}`)
      .set('Content-Type', 'text/xml')
      .send('<xml></xml>');
    expect(push.status).toBe(503);
    expectDocumented('POST', '/api/wx/message', push);
  });

  it('GET /metrics, naming every tixing series in its description', async () => {
    const res = await request(app()).get('/metrics');
    expect(res.status).toBe(200);
    expectDocumented('GET', '/metrics', res);
    const described = JSON.stringify(operation('GET', '/metrics'));
    const series = [...new Set([...res.text.matchAll(/^# TYPE (tixing_\w+)/gm)].map((m) => m[1]))];
    expect(series.length).toBeGreaterThan(0);
    expect(series.filter((name) => !described.includes(`\`${name}\``))).toEqual([]);
  });

  it('the push URL when WX_TOKEN is set', async () => {
    const sign = (timestamp: string, nonce: string) =>
      createHash('sha1').update([PUSH_TOKEN, timestamp, nonce].sort().join('')).digest('hex');
    const push = () => pushed.instance.app.callback();
    // A fresh verification (the GET is checked for freshness like a POST).
    const now = String(Math.floor(Date.now() / 1000));
    const echo = await request(push()).get(
      `/api/wx/message?signature=${sign(now, 'docsecho')}&timestamp=${now}` +
        '&nonce=docsecho&echostr=4375120948345356249',
    );
    expect(echo.text).toBe('4375120948345356249');
    expectDocumented('GET', '/api/wx/message', echo);
    const forged = await request(push()).get(
      '/api/wx/message?signature=0000&timestamp=1714036504&nonce=1514711492&echostr=1',
    );
    expect(forged.status).toBe(401);
    expectDocumented('GET', '/api/wx/message', forged);
    expectDocumented('GET', '/api/wx/message', await request(push()).get('/api/wx/message?signature=x'));

    const timestamp = String(Math.floor(Date.now() / 1000));
    const event = {
      ToUserName: 'gh_123456789abc',
      FromUserName: 'o7esq5PHRGBQYmeNyfG064wEFVpQ',
      CreateTime: timestamp,
      MsgType: 'event',
      Event: 'debug_demo',
    };
    const post = (ts: string, nonce: string) =>
      request(push())
        .post(`/api/wx/message?signature=${sign(ts, nonce)}&timestamp=${ts}&nonce=${nonce}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(event));
    const accepted = await post(timestamp, 'docsnonce1');
    expect(accepted.text).toBe('success');
    expectDocumented('POST', '/api/wx/message', accepted);
    const stale = await post('1714036504', 'docsnonce2');
    expect(stale.body.errcode).toBe(40111);
    expectDocumented('POST', '/api/wx/message', stale);
    const xmlAsText = await request(push())
      .post(`/api/wx/message?signature=${sign(timestamp, 'n3')}&timestamp=${timestamp}&nonce=n3`)
      .set('Content-Type', 'text/plain')
      .send('<xml></xml>');
    expect(xmlAsText.status).toBe(415);
    expectDocumented('POST', '/api/wx/message', xmlAsText);
  });

  it('the lifecycle and the caller’s own data', async () => {
    const me = data<LoginView>(await request(app()).post('/api/login').send({ code: 'docs-me#1' })).token;
    const as = { Authorization: `Bearer ${me}` };
    const post = (p: string, body?: object) => request(app()).post(p).set(as).send(body);
    // Yearly: a 5-minute snooze always fits before its next regular occurrence.
    const created = await post('/api/reminders', { title: '散步', repeat: { cron: '0 0 1 1 *' } });
    const id = data<ReminderView>(created).id;
    const snoozed = await post(`/api/reminders/${id}/snooze`, { minutes: 5 });
    expect(snoozed.status).toBe(200);
    expectDocumented('POST', '/api/reminders/{id}/snooze', snoozed);
    expectDocumented(
      'POST',
      '/api/reminders/{id}/snooze',
      await post(`/api/reminders/${id}/snooze`, { minutes: 1 }),
    );
    expectDocumented(
      'POST',
      '/api/reminders/{id}/snooze',
      await post('/api/reminders/999999/snooze', { minutes: 5 }),
    );
    const skipped = await post(`/api/reminders/${id}/done`);
    expect(skipped.status).toBe(200);
    expectDocumented('POST', '/api/reminders/{id}/done', skipped);
    const once = data<ReminderView>(
      await post('/api/reminders', { title: '吃药', at: Date.now() + 3_600_000 }),
    ).id;
    expectDocumented('POST', '/api/reminders/{id}/done', await post(`/api/reminders/${once}/done`));
    const twice = await post(`/api/reminders/${once}/done`);
    expect(twice.status).toBe(409);
    expectDocumented('POST', '/api/reminders/{id}/done', twice);
    expectDocumented(
      'POST',
      '/api/reminders/{id}/snooze',
      await post(`/api/reminders/${once}/snooze`, { minutes: 5 }),
    );
    expectDocumented('POST', '/api/reminders/{id}/done', await request(app()).post('/api/reminders/1/done'));

    const exported = await request(app()).get('/api/me/export').set(as);
    expect(exported.status).toBe(200);
    expect(exported.body.data.reminders).toHaveLength(2);
    expectDocumented('GET', '/api/me/export', exported);
    expectDocumented('GET', '/api/me/export', await request(app()).get('/api/me/export'));
    const erased = await request(app()).delete('/api/me').set(as);
    expect(erased.status).toBe(200);
    expectDocumented('DELETE', '/api/me', erased);
    expectDocumented('DELETE', '/api/me', await request(app()).delete('/api/me').set(as));
  });

  it('the bot rules and the customer-service conversations', async () => {
    const admin = { Authorization: `Bearer ${pushed.config.adminToken ?? ''}` };
    const push = () => pushed.instance.app.callback();
    const rules = await request(push()).get('/api/admin/bot/rules').set(admin);
    expect(rules.status).toBe(200);
    expectDocumented('GET', '/api/admin/bot/rules', rules);
    expectDocumented('GET', '/api/admin/bot/rules', await request(push()).get('/api/admin/bot/rules'));
    const table = { rules: rules.body.data.rules as unknown[], default: rules.body.data.default as object };
    const put = await request(push()).put('/api/admin/bot/rules').set(admin).send(table);
    expect(put.status).toBe(200);
    expectDocumented('PUT', '/api/admin/bot/rules', put);
    const runaway = {
      rules: [{ name: 'r', match: { regex: '(a+)+$' }, reply: { text: 'x' } }],
      default: table.default,
    };
    const refused = await request(push()).put('/api/admin/bot/rules').set(admin).send(runaway);
    expect(refused.status).toBe(400);
    expectDocumented('PUT', '/api/admin/bot/rules', refused);

    // A user's message, pushed in plain mode; WeChat's window opened for them as it would be.
    const openid = env.sandbox.openIdFor('docs-kf');
    env.sandbox.custom.openWindow(openid, 'message', Date.now());
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHash('sha1')
      .update([PUSH_TOKEN, timestamp, 'docskf'].sort().join(''))
      .digest('hex');
    const message = {
      ToUserName: 'gh_123456789abc',
      FromUserName: openid,
      CreateTime: timestamp,
      MsgType: 'text',
      Content: '你好',
      MsgId: '1864323726461255681',
    };
    const pushedMessage = await request(push())
      .post(`/api/wx/message?signature=${signature}&timestamp=${timestamp}&nonce=docskf`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(message));
    expect(pushedMessage.text).toBe('success');
    const list = await request(push()).get('/api/admin/conversations?limit=5').set(admin);
    expect(list.body.data.items).toHaveLength(1);
    expectDocumented('GET', '/api/admin/conversations', list);
    expectDocumented(
      'GET',
      '/api/admin/conversations',
      await request(push()).get('/api/admin/conversations?limit=0').set(admin),
    );
    const one = await request(push()).get(`/api/admin/conversations/${openid}`).set(admin);
    expect(one.status).toBe(200);
    expectDocumented('GET', '/api/admin/conversations/{openid}', one);
    expectDocumented(
      'GET',
      '/api/admin/conversations/{openid}',
      await request(push()).get('/api/admin/conversations/o-none').set(admin),
    );
    const send = (to: string, body: object) =>
      request(push()).post(`/api/admin/conversations/${to}/messages`).set(admin).send(body);
    const sent = await send(openid, { text: '你好，请问有什么可以帮你？' });
    expect(sent.status).toBe(201);
    expectDocumented('POST', '/api/admin/conversations/{openid}/messages', sent);
    expectDocumented('POST', '/api/admin/conversations/{openid}/messages', await send(openid, { text: '' }));
    expectDocumented(
      'POST',
      '/api/admin/conversations/{openid}/messages',
      await send('o-none', { text: 'x' }),
    );
    env.sandbox.custom.openWindow(openid, 'session', Date.now() - 61_000); // WeChat: the window is over
    const closed = await send(openid, { text: '还在吗' });
    expect(closed.status).toBe(409);
    expectDocumented('POST', '/api/admin/conversations/{openid}/messages', closed);
  });

  it('/api/groups/{id}/checkins and /api/checkins/{id}…', async () => {
    const clock = new TestClock();
    const checkins = await env.start({ now: clock.now });
    await exerciseCheckinRoutes(checkins, env.sandbox, clock, expectDocumented);
  });

  it('/console', async () => {
    const page = await request(app()).get('/console');
    exercised.add('GET /console');
    // Built by `npm run build` (dist/console); a tree that was not built answers the documented 404.
    expect([200, 404]).toContain(page.status);
    if (page.status === 404) expectDocumented('GET', '/console', page);
  });

  it('exercised every documented operation, here or in a feature’s own conformance test', () => {
    // A feature may hold its answers to this document in a test of its own (test/groups/openapi.test.ts,
    // test/promises/documented.ts, test/console/console-helpers.ts `documented`…): an operation
    // counts when such a call names it literally, or a feature's operation list does.
    const elsewhere = exercisedElsewhere();
    const missing = operations()
      .map(routeName)
      .filter((name) => !exercised.has(name) && !elsewhere.has(name));
    expect(elsewhere.size).toBeGreaterThan(20); // the scan does find the feature tests' calls
    expect(missing).toEqual([]);
  });
});

/** `METHOD /path` of every operation a test file outside this one holds to the document. */
function exercisedElsewhere(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
  for (const file of walk(path.join(__dirname, '..'))) {
    if (file === __filename) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/documented\(\s*'(GET|POST|PUT|PATCH|DELETE)',\s*'([^']+)'/gi)) {
      found.add(`${m[1]} ${m[2]}`);
    }
    if (/OPERATIONS = \[/.test(text)) {
      for (const m of text.matchAll(/'(GET|POST|PUT|PATCH|DELETE) (\/[^' ]*)'/g))
        found.add(`${m[1]} ${m[2]}`);
    }
  }
  return found;
}
