import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, bearer, login, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data } from '../support/api-types';
import type { ConversationView } from '../../src/http/presenters';
import {
  admin,
  push,
  putRules,
  SECURE,
  settledAnswers,
  startListening,
  text,
  type Listening,
} from './bot-helpers';

// Customer service (docs/architecture.md#customer-service) through the sandbox's push side in secure mode, on two instances sharing one Redis.
const env = useSandbox({ push: SECURE });
let a: Listening;
let b: Listening;
let both: TestInstance[];

beforeAll(async () => {
  [a, b] = (await startListening(env, 2)) as [Listening, Listening];
  both = [a.t, b.t];
  await putRules(
    a.t,
    [
      { name: 'ping', match: { keyword: 'ping' }, reply: { text: 'pong' } },
      { name: 'invoice', match: { contains: '发票' }, reply: { text: '发票请在小程序「我的」里申请。' } },
      { name: 'order', match: { regex: '^订单\\s*\\d{6}$' }, reply: { text: '订单查询请稍候。' } },
      { name: 'reminders', match: { keyword: '提醒' }, reply: { builtin: 'reminders' } },
      { name: 'notices', match: { keyword: '通知' }, reply: { builtin: 'notices' } },
      { name: 'human', match: { keyword: '人工' }, transfer: true },
    ],
    { reply: { text: '收到，稍后回复你。' } },
  );
});

describe('the bot answers each message once, whatever WeChat retries and however many instances run', () => {
  it.each([
    ['keyword', 'kay', ' PING ', 'pong', 'ping'],
    ['contains', 'cody', '我想开发票，怎么办', '发票请在小程序「我的」里申请。', 'invoice'],
    ['regex', 'rex', '订单 123456', '订单查询请稍候。', 'order'],
    ['default', 'dee', '你好呀', '收到，稍后回复你。', 'default'],
  ])(
    '%s rule: one answer for a push delivered four times across two instances',
    async (_kind, user, content, answer, rule) => {
      const { sandbox } = env;
      const openid = sandbox.openIdFor(user);
      // WeChat's three retries of one push, the load balancer sending them to either instance.
      const report = await push(sandbox, [a.pushUrl, b.pushUrl], user, text(content), { resend: 3 });
      expect(report.attempts.map((x) => [x.to, x.status, x.answer])).toEqual([
        [a.pushUrl, 200, 'success'],
        [b.pushUrl, 200, 'success'],
        [a.pushUrl, 200, 'success'],
        [b.pushUrl, 200, 'success'],
      ]);
      expect(report.attempts.every((x) => x.ms < 5000)).toBe(true);
      // Every delivery was answered, so every duplicate was decided; nothing is queued on either instance.
      expect(await settledAnswers(sandbox, both, openid, 1)).toEqual([answer]);

      const res = await api(b.t).get(`/api/admin/conversations/${openid}`).set(admin(b.t));
      const view = data<ConversationView>(res);
      expect(
        view.messages.map((m) => [m.direction, m.from, m.type, m.text, m.rule ?? null, m.result ?? null]),
      ).toEqual([
        ['out', 'bot', 'text', answer, rule, 'sent'],
        ['in', 'user', 'text', content, null, null],
      ]);
      expect(view.messages[1]?.msgId).toBe(report.message.MsgId);
      expect(view.window).toMatchObject({ open: true, remaining: 4, kind: 'message' });
    },
  );

  it('is re-sent by the sandbox when an answer takes longer than its timeout, and still answered once', async () => {
    const { sandbox } = env;
    // A push URL that never answers: the sandbox gives up on it and re-sends to the next instance.
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const dead = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/api/wx/message`;
    try {
      const report = await push(sandbox, [dead, a.pushUrl, b.pushUrl], 'sly', text('ping'), {
        timeoutMs: 300,
      });
      expect(report.attempts.map((x) => [x.to, x.status, x.ok])).toEqual([
        [dead, null, false],
        [a.pushUrl, 200, true],
      ]);
      expect(report.attempts[0]?.why).toBe('no answer within 300 ms');
      expect(await settledAnswers(sandbox, both, sandbox.openIdFor('sly'), 1)).toEqual(['pong']);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('built-in answers', () => {
  it('提醒 lists the next five pending reminders of the asking user only, soonest first', async () => {
    const { sandbox } = env;
    const alice = await login(a.t, 'remi#1');
    const bob = await login(a.t, 'robb#1');
    const hour = 3_600_000;
    const base = Date.now() + 24 * hour;
    const create = async (token: string, title: string, at: number) => {
      const res = await api(a.t).post('/api/reminders').set(bearer(token)).send({ title, at });
      expect(res.status).toBe(201);
      return data<{ id: string }>(res).id;
    };
    // Bob's are sooner than all of Alice's: only hers may be listed to her.
    await create(bob, '鲍勃一', base - 3 * hour);
    await create(bob, '鲍勃二', base - 2 * hour);
    for (const [title, offset] of [
      ['七', 7],
      ['三', 3],
      ['一', 1],
      ['六', 6],
      ['二', 2],
      ['五', 5],
      ['四', 4],
    ] as const) {
      await create(alice, `爱丽丝${title}`, base + offset * hour);
    }
    const cancelled = await create(alice, '爱丽丝零', base);
    expect((await api(a.t).delete(`/api/reminders/${cancelled}`).set(bearer(alice))).status).toBe(200);

    await push(sandbox, b.pushUrl, 'remi', text('提醒'));
    const [answer = ''] = await settledAnswers(sandbox, both, sandbox.openIdFor('remi'), 1);
    const lines = answer.split('\n');
    expect(lines[0]).toBe('你接下来的5个提醒：');
    expect(lines.slice(1).map((l) => l.split(' ').pop())).toEqual([
      '爱丽丝一',
      '爱丽丝二',
      '爱丽丝三',
      '爱丽丝四',
      '爱丽丝五',
    ]);
    expect(answer).not.toMatch(/鲍勃|零|六|七/);
  });
});

describe('built-in answers: 通知', () => {
  it("通知 lists the asking user's unread notices only", async () => {
    const { sandbox } = env;
    const teacher = await login(a.t, 'teach#1');
    const student = await login(a.t, 'stud#1');
    const as = (token: string) => bearer(token);
    const group = await api(a.t).post('/api/groups').set(as(teacher)).send({ name: '三年二班' });
    expect(group.status).toBe(201);
    const { id: gid, invite } = data<{ id: string; invite: { code: string } }>(group);
    expect(
      (await api(a.t).post('/api/groups/join').set(as(student)).send({ code: invite.code })).status,
    ).toBe(201);
    const publish = async (title: string) => {
      const res = await api(a.t)
        .post('/api/notices')
        .set(as(teacher))
        .send({ title, body: '详见附件。', category: '通知', audience: { groups: [gid] } });
      expect(res.status).toBe(201);
      return data<{ id: string }>(res).id;
    };
    const read = await publish('周一升旗仪式');
    await publish('周五开家长会');
    await waitFor(async () => {
      const res = await api(a.t).get('/api/inbox/unread-count').set(as(student));
      return data<{ unread: number }>(res).unread === 2;
    });
    expect((await api(a.t).post(`/api/notices/${read}/read`).set(as(student))).status).toBe(200);

    await push(sandbox, a.pushUrl, 'stud', text('通知'));
    await push(sandbox, a.pushUrl, 'teach', text('通知'));
    expect(await settledAnswers(sandbox, both, sandbox.openIdFor('stud'), 1)).toEqual([
      '你有1条未读通知：\n1. 周五开家长会\n在小程序的消息里查看全文。',
    ]);
    expect(await settledAnswers(sandbox, both, sandbox.openIdFor('teach'), 1)).toEqual([
      '你没有未读的通知。',
    ]);
  });
});

describe('transfer to human agents', () => {
  it.each(['json', 'xml'] as const)(
    'answers the encrypted transfer_customer_service reply (%s) and sends nothing, a retry included',
    async (format) => {
      const { sandbox } = env;
      const user = `hugh${format}`;
      const openid = sandbox.openIdFor(user);
      const report = await push(sandbox, [a.pushUrl, b.pushUrl], user, text('人工'), { format, resend: 1 });
      // The sandbox verified MsgSignature, decrypted the reply and checked its appid.
      expect(report.reply).toEqual({
        ToUserName: openid,
        FromUserName: report.message.ToUserName,
        CreateTime: expect.stringMatching(/^\d{10}$/),
        MsgType: 'transfer_customer_service',
      });
      const [first, retry] = report.attempts;
      expect(first?.ok && retry?.ok).toBe(true);
      // Encrypted, not in the clear; the retry (on the other instance) transfers as the first did.
      for (const attempt of [first, retry]) {
        expect(attempt?.answer).toContain(format === 'json' ? '"Encrypt"' : '<Encrypt>');
        expect(attempt?.answer).not.toContain('transfer_customer_service');
      }
      const res = await api(a.t).get(`/api/admin/conversations/${openid}`).set(admin(a.t));
      expect(data<ConversationView>(res).messages.map((m) => [m.type, m.result ?? null])).toEqual([
        ['transfer', 'transfer'],
        ['text', null],
      ]);
      // Positive control: a next message of the same user is answered, and only that one.
      await push(sandbox, a.pushUrl, user, text('ping'));
      expect(await settledAnswers(sandbox, both, openid, 1)).toEqual(['pong']);
    },
  );
});
