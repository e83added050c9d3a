import type { NoticeProgressView } from '../../src/http/presenters/notice-progress';
import { PushRequests } from '../push/push-requests';
import { documented } from './console-helpers';
import { TEST_APPID, TestClock, useSandbox, type TestInstance } from '../support/harness';
import {
  NOTICE_TEMPLATE,
  QUICK,
  api,
  group,
  join,
  members,
  person,
  publish,
  pushesOf,
  settled,
  stats,
  type Person,
} from '../notices/notice-helpers';

// GET /api/notices/:id/progress: the server's per-minute series of a notice, which the console's
// chart draws; it must add up to the stats, whenever the page asks.
const TOKEN = 'progressToken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEF0';
const wechat = new PushRequests({ token: TOKEN, aesKey: AES_KEY, appId: TEST_APPID });
const MINUTE = 60_000;

const lab = useSandbox();
const clock = new TestClock();
let t: TestInstance;
let manager: Person;
let readers: Person[]; // r1–r3, logged in: they read and confirm
let outsider: Person;
let groupId: string;

beforeAll(async () => {
  t = await lab.start({
    now: clock.now,
    config: { quotaMode: 'enforce', wx: { token: TOKEN, aesKey: AES_KEY } },
    tuning: QUICK,
  });
  manager = await person(t, lab.sandbox, 'progress-teacher');
  outsider = await person(t, lab.sandbox, 'progress-outsider');
  const g = await group(t, manager, '三年二班');
  groupId = g.id;
  readers = [];
  for (const name of ['r1', 'r2', 'r3']) {
    const who = await person(t, lab.sandbox, name);
    await join(t, who, g.code, name);
    readers.push(who);
  }
  await members(t, lab.sandbox, g.code, ['r4', 'r5']); // r5 has no grant
  for (const name of ['r1', 'r2', 'r3', 'r4']) {
    await t.instance.quota.grant(lab.sandbox.openIdFor(name), NOTICE_TEMPLATE, 1);
  }
});

const progress = async (who: Person | null, id: string) => {
  const req = api(t).get(`/api/notices/${id}/progress`);
  return documented('GET', '/api/notices/{id}/progress', await (who ? req.set(who.auth) : req));
};
const series = async (id: string): Promise<NoticeProgressView> => {
  const res = await progress(manager, id);
  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  return res.body.data as NoticeProgressView;
};
const sum = (view: NoticeProgressView, state: keyof NoticeProgressView['totals']) =>
  view.buckets.reduce((n, b) => n + b[state], 0);

/** WeChat's final word on one push, as a secure-mode JSON push to /api/wx/message. */
async function report(to: string, msgid: string, errorCode: string, status: string): Promise<void> {
  const message = JSON.stringify({
    ToUserName: 'gh_123456789abc',
    FromUserName: to,
    CreateTime: wechat.createTime(),
    MsgType: 'event',
    Event: 'subscribe_msg_sent_event',
    List: { TemplateId: NOTICE_TEMPLATE, MsgID: msgid, ErrorCode: errorCode, ErrorStatus: status },
  });
  // The push is timestamped by the instance's clock, which this test has moved on.
  const push = wechat.encrypted(message, 'json', { skew: Math.round((clock.now() - Date.now()) / 1000) });
  const res = await api(t)
    .post('/api/wx/message')
    .query(push.query)
    .set('Content-Type', push.type)
    .send(push.body);
  expect(res.text).toBe('success');
}

describe('GET /api/notices/:id/progress', () => {
  it('keeps the whole curve on the server, minute by minute, and it adds up to the stats', async () => {
    const published = clock.now();
    const notice = await publish(t, manager, {
      title: '家长会通知',
      body: '周五下午三点。',
      audience: { groups: [groupId] },
      requireConfirm: true,
    });
    const sent = await settled(t, manager, notice.id);
    expect(sent.push).toMatchObject({ sent: 4, no_quota: 1 });

    // Ten minutes later WeChat reports on two pushes; twenty minutes later two people read.
    clock.advance(10 * MINUTE);
    const msgid = (name: string) =>
      pushesOf(lab.sandbox, notice.id).find((m) => m.touser === lab.sandbox.openIdFor(name))?.msgid ?? '';
    await report(lab.sandbox.openIdFor('r1'), msgid('r1'), '0', 'success');
    await report(lab.sandbox.openIdFor('r2'), msgid('r2'), '10605', 'fail');
    const reported = await stats(t, manager, notice.id);
    const beforeReads = await series(notice.id);
    // Before anyone reads, every pushed recipient is still in a push state in the stats.
    expect(beforeReads.totals).toEqual({ sent: 4, delivered: 1, failed: 1, read: 0, confirmed: 0 });
    expect(beforeReads.totals.sent).toBe(reported.push.sent + reported.push.delivered + reported.push.failed);
    expect(beforeReads.totals.delivered).toBe(reported.push.delivered);
    expect(beforeReads.totals.failed).toBe(reported.push.failed);

    clock.advance(10 * MINUTE);
    const [r1, , r3] = readers as [Person, Person, Person];
    await api(t).post(`/api/notices/${notice.id}/read`).set(r1.auth).send({}).expect(200);
    await api(t).post(`/api/notices/${notice.id}/read`).set(r1.auth).send({}).expect(200); // idempotent
    await api(t).post(`/api/notices/${notice.id}/confirm`).set(r3.auth).send({}).expect(200);
    const now = await stats(t, manager, notice.id);

    // Opened an hour after publishing: the whole curve, from the first sends on.
    clock.advance(60 * MINUTE);
    const view = await series(notice.id);
    expect(view).toMatchObject({ noticeId: notice.id, status: 'published', bucketSeconds: 60 });
    expect(view.totals).toEqual({ sent: 4, delivered: 1, failed: 1, read: 2, confirmed: 1 });
    expect(view.totals.read).toBe(now.read + now.confirmed);
    expect(view.totals.confirmed).toBe(now.confirmed);
    for (const state of ['sent', 'delivered', 'failed', 'read', 'confirmed'] as const) {
      expect(sum(view, state)).toBe(view.totals[state]);
    }
    // Each change sits in the minute it happened: sends at publication, reports 10 min on, reads 20.
    const minuteOf = (ms: number) => new Date(Math.floor(ms / MINUTE) * MINUTE).toISOString();
    const at = (state: keyof NoticeProgressView['totals']) =>
      view.buckets.filter((b) => b[state] > 0).map((b) => Date.parse(b.at));
    expect(Math.min(...at('sent'))).toBeGreaterThanOrEqual(Date.parse(minuteOf(published)));
    expect(Math.max(...at('sent'))).toBeLessThan(published + 2 * MINUTE);
    for (const b of [...at('delivered'), ...at('failed')])
      expect(b).toBeGreaterThanOrEqual(published + 9 * MINUTE);
    for (const b of [...at('read'), ...at('confirmed')])
      expect(b).toBeGreaterThanOrEqual(published + 19 * MINUTE);
    expect(view.buckets.map((b) => b.at)).toEqual([...view.buckets.map((b) => b.at)].sort());

    // Cluster-safe: the series is one key under the notice's hash tag, expiring with RETENTION_DAYS.
    const key = t.instance.keys.noticeProgress(notice.id);
    expect(key).toContain(`{nt${notice.id}}`);
    const ttl = await t.redis.pTTL(key);
    expect(ttl).toBeGreaterThan(29 * 86_400_000);
    expect(ttl).toBeLessThanOrEqual(30 * 86_400_000 + 2 * 3_600_000);
  }, 60_000);

  it('answers 403 to a member, 404 to someone outside, 401 without a session, 400 for a bad id', async () => {
    const notice = await publish(t, manager, {
      title: '作业',
      body: '第三页。',
      audience: { groups: [groupId] },
    });
    await settled(t, manager, notice.id);
    const [r1] = readers as [Person];
    expect((await progress(r1, notice.id)).status).toBe(403);
    expect((await progress(outsider, notice.id)).status).toBe(404);
    expect((await progress(null, notice.id)).status).toBe(401);
    const bad = await progress(manager, 'x');
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual(['id']);
  });
});
