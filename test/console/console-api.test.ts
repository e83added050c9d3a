import { SendPauseStore } from '../../src/store/send-pause-store';
import { api, bearer, login, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import type { ErrorBody } from '../support/api-types';
import { Browser, HOST, documented } from './console-helpers';

// The console's own API beyond sign-in: the operators' overview and the publishers' extras, each
// answer held to docs/openapi.yaml (test/console/sessions.test.ts holds the sign-in's).
const env = useSandbox();
const errcode = (res: { body: unknown }) => (res.body as ErrorBody).errcode;

describe('GET /api/console/ops/overview', () => {
  it('lists every running instance with its jobs, the next due occurrences, token and pause state, and never the token', async () => {
    const prefix = uniquePrefix();
    const a = await env.start({ config: { redisPrefix: prefix } });
    const b = await env.start({ config: { redisPrefix: prefix } });
    const me = await login(a, 'olga#1');
    // A daily reminder (due later) and a one-shot sent at once: the token is fetched for it.
    const daily = await api(a)
      .post('/api/reminders')
      .set(bearer(me))
      .send({ title: '私密的标题', repeat: { daily: '08:30' } });
    expect(daily.status).toBe(201);
    const soon = await api(a)
      .post('/api/reminders')
      .set(bearer(me))
      .send({ title: '喝水', at: Date.now() + 200 });
    await waitFor(
      async () =>
        (await api(a).get(`/api/reminders/${soon.body.data.id}`).set(bearer(me))).body.data.status ===
          'sent' || undefined,
    );
    await new SendPauseStore(a.redis, a.instance.keys).pause(Date.now(), 60_000, 600_000);

    const operator = new Browser(a);
    await operator.operatorLogin();
    const res = documented(
      'GET',
      '/api/console/ops/overview',
      await operator.call('get', '/api/console/ops/overview'),
    );
    expect(res.status).toBe(200);
    const view = res.body.data;
    expect(view.instances.map((i: { id: string }) => i.id).sort()).toEqual(
      [a.instance.id, b.instance.id].sort(),
    );
    const held = view.instances.map((i: { jobsHeld: number }) => i.jobsHeld);
    expect(held.every((n: number) => Number.isInteger(n))).toBe(true);
    expect(view.nextDue).toContainEqual(
      expect.objectContaining({
        source: 'reminder',
        id: daily.body.data.id,
        kind: 'reminder',
        repeat: 'daily',
      }),
    );
    expect(view.token.present).toBe(true);
    expect(Date.parse(view.token.expiresAt)).toBeGreaterThan(Date.now());
    expect(view.pause).toMatchObject({ paused: true, lastWindow: expect.any(Object) });
    expect(view.pause.remainingSeconds).toBeGreaterThan(50);
    const stored = JSON.parse((await a.redis.get(a.instance.keys.accessToken())) ?? '{}') as {
      token?: string;
    };
    expect(stored.token).toEqual(expect.any(String));
    expect(res.text).not.toContain(stored.token);
    expect(res.text).not.toContain('私密的标题');

    // Bearer ADMIN_TOKEN works too; a stopped instance leaves the list at once.
    await b.close();
    const bearerRes = await api(a)
      .get('/api/console/ops/overview')
      .set(bearer(a.config.adminToken ?? ''));
    expect(bearerRes.body.data.instances.map((i: { id: string }) => i.id)).toEqual([a.instance.id]);
    documented('GET', '/api/console/ops/overview', await api(a).get('/api/console/ops/overview'));
  });
});

describe('the publisher extras', () => {
  let t: TestInstance;
  let mei: Browser;
  const tokens: Record<string, string> = {};
  let classId = '';
  let clubId = '';
  let memberIds: Record<string, string> = {};

  beforeAll(async () => {
    t = await env.start({ config: { wx: { sandbox: true } }, tuning: { sweepIntervalMs: 100 } });
    mei = new Browser(t);
    await mei.publisherLogin('mei');
    classId = (await mei.call('post', '/api/groups').send({ name: '三年二班' }).expect(201)).body.data.id;
    clubId = (await mei.call('post', '/api/groups').send({ name: '合唱团' }).expect(201)).body.data.id;
    const codeOf = async (id: string) =>
      (await mei.call('get', `/api/groups/${id}`)).body.data.invite.code as string;
    const [classCode, clubCode] = [await codeOf(classId), await codeOf(clubId)];
    memberIds = {};
    for (const [user, name, groups] of [
      ['ann', '安', [classCode, clubCode]],
      ['ben', '=HYPERLINK("a")', [classCode]],
      ['cat', '猫猫', [classCode]],
      ['dee', '迪', [clubCode]],
    ] as const) {
      tokens[user] = await login(t, `${user}#1`);
      for (const code of groups) {
        const joined = await api(t)
          .post('/api/groups/join')
          .set(bearer(tokens[user] ?? ''))
          .send({ code });
        await api(t)
          .put(`/api/groups/${joined.body.data.id}/me`)
          .set(bearer(tokens[user] ?? ''))
          .send({ displayName: name });
        if (joined.body.data.id === classId) memberIds[user] = joined.body.data.me.memberId;
      }
    }
    await mei
      .call('patch', `/api/groups/${classId}/members/${memberIds.cat}`)
      .send({ tags: ['班干部'] })
      .expect(200);
  });

  const count = async (body: object) =>
    documented('POST', '/api/console/audience', await mei.call('post', '/api/console/audience').send(body));

  it('counts an audience as publication resolves it: tags, named members, each person once, the author left out', async () => {
    expect((await count({ groups: [classId] })).body.data).toEqual({ recipients: 3 });
    expect((await count({ groups: [classId, clubId] })).body.data).toEqual({ recipients: 4 }); // ann once
    expect((await count({ groups: [classId], tags: ['班干部'] })).body.data).toEqual({ recipients: 1 });
    expect(
      (await count({ groups: [classId], tags: ['班干部'], members: [memberIds.ann] })).body.data,
    ).toEqual({ recipients: 2 });
    expect(
      (await count({ groups: [classId, clubId], members: [`${classId}:${memberIds.ben}`] })).body.data,
    ).toEqual({ recipients: 1 });
  });

  it('refuses a group the caller does not manage (403) or is not in (404), and names every bad field (400)', async () => {
    const notManager = await api(t)
      .post('/api/console/audience')
      .set(bearer(tokens.ann ?? ''))
      .send({ groups: [classId] });
    expect(notManager.status).toBe(403);
    documented('POST', '/api/console/audience', notManager);
    const notMember = await api(t)
      .post('/api/console/audience')
      .set(bearer(tokens.dee ?? ''))
      .send({ groups: [classId] });
    expect(notMember.status).toBe(404);
    documented('POST', '/api/console/audience', notMember);
    const bad = await count({ groups: [], tags: [''], extra: 1 });
    expect(bad.status).toBe(400);
    expect((bad.body as ErrorBody).details?.map((d) => d.path).sort()).toEqual(['extra', 'groups', 'tags.0']);
  });

  it("lists the caller's notices and exports a notice's recipients as CSV, formulas defused", async () => {
    const created = await mei.call('post', '/api/notices').send({
      title: '春游通知',
      body: '周六出发',
      category: '通知',
      audience: { groups: [classId] },
      requireConfirm: true,
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    const list = documented('GET', '/api/console/notices', await mei.call('get', '/api/console/notices'));
    expect(list.body.data.items[0]).toMatchObject({
      id,
      title: '春游通知',
      groups: [{ id: classId, name: '三年二班' }],
    });
    const others = await api(t)
      .get('/api/console/notices')
      .set(bearer(tokens.ann ?? ''));
    expect(others.body.data.items).toEqual([]);

    await waitFor(
      async () =>
        (await mei.call('get', `/api/notices/${id}/stats`)).body.data?.recipients === 3 || undefined,
    );
    await api(t)
      .post(`/api/notices/${id}/read`)
      .set(bearer(tokens.ann ?? ''))
      .send({})
      .expect(200);
    await api(t)
      .post(`/api/notices/${id}/confirm`)
      .set(bearer(tokens.ann ?? ''))
      .send({})
      .expect(200);
    const res = documented(
      'GET',
      '/api/console/notices/{id}/stats.csv',
      await mei.call('get', `/api/console/notices/${id}/stats.csv`).buffer(true),
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="notice-${id}.csv"`);
    const text = res.text;
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('"姓名","学号","成员号","分组","状态","推送","阅读时间","确认时间"');
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.startsWith('"安"'))).toMatch(
      /^"安","","\d+","三年二班","已确认",".*","\d{4}-\d\d-\d\d \d\d:\d\d:\d\d","\d{4}-/,
    );
    expect(lines).toContainEqual(expect.stringMatching(/^"'=HYPERLINK\(""a""\)",/));
    // Only the notice's managers.
    const member = await api(t)
      .get(`/api/console/notices/${id}/stats.csv`)
      .set(bearer(tokens.ann ?? ''));
    expect(member.status).toBe(403);
    documented('GET', '/api/console/notices/{id}/stats.csv', member);
  });

  it("exports a check-in's attendance as CSV: everyone of the group, signed or absent", async () => {
    const now = Date.now();
    const checkin = await mei
      .call('post', `/api/groups/${classId}/checkins`)
      .send({ title: '班会', startsAt: now - 1000, endsAt: now + 3_600_000 });
    expect(checkin.status).toBe(201);
    const id = checkin.body.data.id as string;
    const code = (await mei.call('get', `/api/checkins/${id}/code?qrcode=false`)).body.data.code as string;
    await api(t)
      .post(`/api/checkins/${id}/sign`)
      .set(bearer(tokens.cat ?? ''))
      .send({ code })
      .expect(200);
    const res = documented(
      'GET',
      '/api/console/checkins/{id}/stats.csv',
      await mei.call('get', `/api/console/checkins/${id}/stats.csv`).buffer(true),
    );
    const lines = res.text.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('"姓名","学号","成员号","标签","签到","签到时间","距离(米)"');
    expect(lines).toContainEqual(expect.stringMatching(/^"猫猫","","\d+","班干部","准时","\d{4}-/));
    expect(lines).toContainEqual(expect.stringMatching(/^"安","","\d+","","缺席","",""$/));
    expect(lines).toHaveLength(5); // mei, ann, ben, cat: the group's four members
    const missing = await mei.call('get', '/api/console/checkins/999999/stats.csv');
    expect(missing.status).toBe(404);
    documented('GET', '/api/console/checkins/{id}/stats.csv', missing);
  });

  it('serves the console with a strict CSP, and answers 404 for a file it does not have', async () => {
    const page = await api(t).get('/console').set('Host', HOST);
    if (page.status === 404) {
      expect(errcode(page)).toBe(40491); // not built here: npm run build makes it
      return;
    }
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.text).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const script = /src="\/console\/([^"]+\.js)"/.exec(page.text)?.[1] ?? '';
    const asset = await api(t).get(`/console/${script}`);
    expect([asset.status, asset.headers['cache-control']]).toEqual([
      200,
      'public, max-age=31536000, immutable',
    ]);
    const none = documented('GET', '/console/{file}', await api(t).get('/console/nope.js'));
    expect([none.status, errcode(none)]).toEqual([404, 40491]);
    expect((await api(t).get('/console/..%2Fpackage.json')).status).toBe(404);
  });
});
