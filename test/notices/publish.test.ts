import { inboxShardOf } from '../../src/store/inbox-store';
import { TEST_APPID, TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, errorBody } from '../support/api-types';
import type { NoticeView, RemindView } from '../../src/http/presenters/notice';
import { PushRequests } from '../push/push-requests';
import {
  api,
  group,
  members,
  NOTICE_TEMPLATE,
  person,
  publish,
  pushesOf,
  QUICK,
  recipients,
  settled,
  stats,
  sumOfStates,
  type Person,
} from './notice-helpers';

// docs/architecture.md#notices-to-groups, issue 15's "Done when": a manager of two groups (30 and 20 members besides the manager,
// 5 in both) publishes to both, through the sandbox, with QUOTA_MODE=enforce.
const TOKEN = 'noticeToken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEF0';
const wechat = new PushRequests({ token: TOKEN, aesKey: AES_KEY, appId: TEST_APPID });

const lab = useSandbox();
const clock = new TestClock();
let t: TestInstance;
let manager: Person;
let A: { id: string; code: string };
let B: { id: string; code: string };
const people = new Map<string, Person>(); // those who log in: they read, confirm, mute
const openid = (name: string) => lab.sandbox.openIdFor(name);
const range = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

// Group A: a0–a29; group B: a0–a4 (in both) and b5–b19. 45 people.
const IN_A = range('a', 0, 29);
const IN_B = [...range('a', 0, 4), ...range('b', 5, 19)];
const GRANTED = [...range('a', 0, 9), ...range('a', 20, 24), ...range('b', 10, 14)]; // 20
const MUTED = ['a8', 'a9', 'b10', 'a25', 'a26', 'b15']; // 3 with a grant, 3 without
const LOGGED_IN = ['a0', 'a1', 'a12', 'b5', ...MUTED];

beforeAll(async () => {
  t = await lab.start({
    now: clock.now,
    config: { quotaMode: 'enforce', wx: { token: TOKEN, aesKey: AES_KEY } },
    tuning: QUICK,
  });
  manager = await person(t, lab.sandbox, 'teacher');
  A = await group(t, manager, '三年二班');
  B = await group(t, manager, '学生会');
  await api(t).put(`/api/groups/${A.id}/me`).set(manager.auth).send({ displayName: '王老师' }).expect(200);
  for (const name of LOGGED_IN) people.set(name, await person(t, lab.sandbox, name));
  await members(t, lab.sandbox, A.code, IN_A);
  await members(t, lab.sandbox, B.code, IN_B);
  for (const name of GRANTED) await t.instance.quota.grant(openid(name), NOTICE_TEMPLATE, 1);
  for (const name of MUTED) {
    const res = await api(t)
      .put('/api/preferences')
      .set(who(name).auth)
      .send({ categories: { 通知: false } });
    expect(data<{ categories: Record<string, boolean> }>(res).categories).toMatchObject({
      通知: false,
      作业: true,
    });
  }
});

function who(name: string): Person {
  const found = people.get(name);
  if (!found) throw new Error(`${name} did not log in`);
  return found;
}

async function inboxHas(name: string, noticeId: string): Promise<boolean> {
  const key = t.instance.keys.inbox(inboxShardOf(openid(name)), openid(name));
  const entries = await t.redis.zRange(key, 0, -1);
  return entries.some((member) => member.endsWith(`:${noticeId.padStart(15, '0')}`));
}

/** WeChat's final word on one push, as a secure-mode JSON push to /api/wx/message. */
async function report(to: string, msgid: string, errorCode: string, errorStatus: string): Promise<void> {
  const message = JSON.stringify({
    ToUserName: 'gh_123456789abc',
    FromUserName: to,
    CreateTime: wechat.createTime(),
    MsgType: 'event',
    Event: 'subscribe_msg_sent_event',
    List: { TemplateId: NOTICE_TEMPLATE, MsgID: msgid, ErrorCode: errorCode, ErrorStatus: errorStatus },
  });
  const push = wechat.encrypted(message, 'json');
  const res = await api(t)
    .post('/api/wx/message')
    .query(push.query)
    .set('Content-Type', push.type)
    .send(push.body);
  expect(res.text).toBe('success');
}

describe('a notice to two groups, end to end', () => {
  let notice: NoticeView;
  const msgids = new Map<string, string>(); // recipient openid → the msgid WeChat gave their push

  it('writes 45 inbox entries, pushes once per recipient with a grant, none to the 5 in both twice, and records every state', async () => {
    notice = await publish(t, manager, {
      title: '期末考试安排',
      body: '周五上午九点，一号楼。',
      audience: { groups: [A.id, B.id] },
      requireConfirm: true,
    });
    expect(notice).toMatchObject({
      status: 'publishing',
      publisher: '王老师',
      page: `pages/notice/detail?id=${notice.id}`,
    });

    const s = await settled(t, manager, notice.id);
    expect(s).toMatchObject({
      recipients: 45,
      inbox: 45,
      push: { pending: 0, sent: 17, delivered: 0, failed: 0, no_quota: 22, muted: 6, rate_limited: 0 },
      read: 0,
      confirmed: 0,
    });
    expect(sumOfStates(s)).toBe(s.recipients);
    expect(s.byGroup).toEqual([
      expect.objectContaining({ groupId: A.id, name: '三年二班', recipients: 30 }),
      expect.objectContaining({ groupId: B.id, name: '学生会', recipients: 20 }),
    ]);

    // Every recipient has the entry; the manager is not a recipient of their own notice.
    const everyone = [...new Set([...IN_A, ...IN_B])];
    expect(everyone).toHaveLength(45);
    for (const name of everyone) expect(await inboxHas(name, notice.id)).toBe(true);

    // One push per recipient with a grant who did not mute the category: 17 people, once each.
    const pushed = pushesOf(lab.sandbox, notice.id);
    for (const m of pushed) msgids.set(m.touser, m.msgid);
    const expected = GRANTED.filter((name) => !MUTED.includes(name)).map(openid);
    expect(pushed.map((m) => m.touser).sort()).toEqual([...expected].sort());
    for (const name of range('a', 0, 4))
      expect(pushed.filter((m) => m.touser === openid(name))).toHaveLength(1);
    expect(pushed[0]).toMatchObject({
      template_id: NOTICE_TEMPLATE,
      data: {
        thing1: { value: '期末考试安排' },
        thing3: { value: '王老师' },
        phrase5: { value: '普通' },
      },
    });
    expect(['三年二班', '学生会']).toContain(pushed[0]?.data.thing2?.value);
    expect(pushed[0]?.data.time4?.value).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/);

    const noQuota = await recipients(t, manager, notice.id, { state: 'no_quota' });
    expect(noQuota.items).toHaveLength(22);
    const muted = await recipients(t, manager, notice.id, { state: 'muted' });
    expect(muted.items.map((r) => r.state)).toEqual(Array(6).fill('muted'));
  }, 30_000);

  it('moves the numbers on reads, confirms and WeChat delivery reports, and they still add up', async () => {
    const read = async (name: string, what: 'read' | 'confirm') => {
      const res = await api(t).post(`/api/notices/${notice.id}/${what}`).set(who(name).auth).send({});
      expect(res.status).toBe(200);
      return data<NoticeView>(res);
    };
    expect((await read('a12', 'read')).me).toMatchObject({ state: 'read' });
    await read('a12', 'read'); // idempotent
    await read('b5', 'read');
    expect((await read('a0', 'confirm')).me).toMatchObject({ state: 'confirmed' });
    await read('a1', 'read');
    await read('a1', 'confirm');

    await report(openid('a2'), msgids.get(openid('a2')) ?? '', '0', 'success');
    await report(openid('a3'), msgids.get(openid('a3')) ?? '', '10605', 'fail');

    const s = await stats(t, manager, notice.id);
    expect(s).toMatchObject({
      recipients: 45,
      // a0 and a1 (pushed) confirmed, a12 and b5 (no grant) read; a2 delivered, a3 failed
      push: { sent: 13, delivered: 1, failed: 1, no_quota: 20, muted: 6, rate_limited: 0, pending: 0 },
      read: 2,
      confirmed: 2,
    });
    expect(sumOfStates(s)).toBe(45);
    const confirmed = await recipients(t, manager, notice.id, { state: 'confirmed' });
    expect(confirmed.items.map((r) => r.memberId).sort()).toHaveLength(2);
    expect(confirmed.items.every((r) => r.confirmedAt !== null && r.readAt !== null)).toBe(true);
    const unread = await recipients(t, manager, notice.id, { state: 'unread' });
    expect(unread.items).toHaveLength(41);
  });

  it('reminds only the unread recipients with a grant, at most once per 10 minutes', async () => {
    // Fresh grants: two unread (one delivered, one no_quota), one who read (not reminded).
    for (const name of ['a2', 'a13', 'a12']) await t.instance.quota.grant(openid(name), NOTICE_TEMPLATE, 1);
    const before = lab.sandbox.sent.length;

    const res = await api(t).post(`/api/notices/${notice.id}/remind`).set(manager.auth).send({});
    expect(res.status).toBe(200);
    // a8, a9, b10 still hold their grant but muted the category: not pushed (the notice is not urgent).
    expect(data<RemindView>(res)).toEqual({
      unread: 41,
      reminded: 2,
      skipped: { noGrant: 33, muted: 6, pending: 0 },
    });
    await waitFor(() => lab.sandbox.sent.length === before + 2);
    expect(
      lab.sandbox.sent
        .slice(before)
        .map((m) => m.touser)
        .sort(),
    ).toEqual([openid('a2'), openid('a13')].sort());

    const again = await api(t).post(`/api/notices/${notice.id}/remind`).set(manager.auth).send({});
    expect(again.status).toBe(429);
    expect(errorBody(again).errcode).toBe(42950);
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(590);

    clock.advance(10 * 60_000); // positive control: the window ends
    const later = await api(t).post(`/api/notices/${notice.id}/remind`).set(manager.auth).send({});
    expect(later.status).toBe(200);
  });

  it('shows the notice to its recipients with their own state, and to nobody else', async () => {
    const recipient = await api(t).get(`/api/notices/${notice.id}`).set(who('b5').auth);
    expect(recipient.status).toBe(200);
    expect(data<NoticeView>(recipient)).toMatchObject({ id: notice.id, me: { state: 'read' }, manage: null });

    const stranger = await person(t, lab.sandbox, 'stranger');
    for (const path of ['', '/stats', '/recipients']) {
      const res = await api(t).get(`/api/notices/${notice.id}${path}`).set(stranger.auth);
      expect(res.status).toBe(404);
      expect(errorBody(res).errcode).toBe(40450);
    }
    // A recipient is not a manager: 403 for what managers see.
    for (const path of ['/stats', '/recipients']) {
      expect((await api(t).get(`/api/notices/${notice.id}${path}`).set(who('b5').auth)).status).toBe(403);
    }
    expect((await api(t).post(`/api/notices/${notice.id}/remind`).set(who('b5').auth).send({})).status).toBe(
      403,
    );
  });
});
