import { api, TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, type ErrorBody } from '../support/api-types';
import type { AgentReplyView, ConversationView } from '../../src/http/presenters';
import {
  admin,
  answersTo,
  push,
  putRules,
  SECURE,
  settledAnswers,
  startListening,
  text,
  type Listening,
} from './bot-helpers';

// WeChat's customer-service window (docs/wechat.md#customer-service-messages): a user's message
// allows 5 messages within 48 h, entering the session 1 within 1 min. The sandbox and the
// instance share one clock, so 48 h pass at once.
const clock = new TestClock();
const env = useSandbox({ push: SECURE, now: clock.now });
let one: Listening;
let t: TestInstance;

beforeAll(async () => {
  [one] = (await startListening(env, 1, { now: clock.now })) as [Listening];
  t = one.t;
  await putRules(
    t,
    [{ name: 'welcome', match: { event: 'user_enter_tempsession' }, reply: { text: '你好' } }],
    {
      reply: { text: '收到' },
    },
  );
});

const reply = (openid: string, body: object) =>
  api(t).post(`/api/admin/conversations/${openid}/messages`).set(admin(t)).send(body);

async function conversation(openid: string): Promise<ConversationView> {
  return data<ConversationView>(await api(t).get(`/api/admin/conversations/${openid}`).set(admin(t)));
}

describe('the 48 h / 5-message window', () => {
  it('refuses the sixth answer inside 48 h with a 409 and no call to WeChat', async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('wendy');
    await push(sandbox, one.pushUrl, 'wendy', text('你好'));
    expect(await settledAnswers(sandbox, [t], openid, 1)).toEqual(['收到']); // the bot's: 1 of 5
    for (let i = 2; i <= 5; i++) {
      const res = await reply(openid, { text: `第${i}条` });
      expect(res.status).toBe(201);
      expect(data<AgentReplyView>(res).window).toMatchObject({ open: 5 - i > 0, remaining: 5 - i });
    }
    const calls = sandbox.custom.stats.sendCalls;
    expect(calls).toBe(5); // positive control: each of the five answers was a call

    const sixth = await reply(openid, { text: '第6条' });
    expect(sixth.status).toBe(409);
    expect((sixth.body as ErrorBody).errcode).toBe(40960);
    expect((sixth.body as ErrorBody).errmsg).toMatch(/used up/);
    expect(sandbox.custom.stats.sendCalls).toBe(calls);
    expect(answersTo(sandbox, openid)).toEqual(['收到', '第2条', '第3条', '第4条', '第5条']);
    // An agent's refused reply stores nothing: the conversation holds the six that happened.
    expect((await conversation(openid)).messages).toHaveLength(6);

    // A new message from the user opens a new window of five.
    await push(sandbox, one.pushUrl, 'wendy', text('在吗'));
    await settledAnswers(sandbox, [t], openid, 6);
    expect((await reply(openid, { text: '在的' })).status).toBe(201);
  });

  it('refuses any answer after 48 h with a 409 and no call; the conversation shows the window closed', async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('olga');
    await push(sandbox, one.pushUrl, 'olga', text('你好'));
    await settledAnswers(sandbox, [t], openid, 1);
    expect((await reply(openid, { text: '一小时后' })).status).toBe(201); // positive control
    clock.advance(48 * 3_600_000 + 1000);
    const calls = sandbox.custom.stats.sendCalls;
    const late = await reply(openid, { text: '两天后' });
    expect(late.status).toBe(409);
    expect((late.body as ErrorBody).errmsg).toMatch(/closed/);
    expect(sandbox.custom.stats.sendCalls).toBe(calls);
    expect((await conversation(openid)).window).toMatchObject({ open: false, remaining: 0 });
  });

  it('gives entering the session one answer within a minute: the welcome uses it', async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('sam');
    const report = await push(sandbox, one.pushUrl, 'sam', {
      MsgType: 'event',
      Event: 'user_enter_tempsession',
      SessionFrom: 'wxapp',
    });
    expect(report.delivered).toBe(true);
    expect(await settledAnswers(sandbox, [t], openid, 1)).toEqual(['你好']);
    const calls = sandbox.custom.stats.sendCalls;
    const res = await reply(openid, { text: '还有别的吗' });
    expect(res.status).toBe(409);
    expect(sandbox.custom.stats.sendCalls).toBe(calls);
    const view = await conversation(openid);
    expect(view.messages[1]).toMatchObject({
      type: 'event',
      event: 'user_enter_tempsession',
      sessionFrom: 'wxapp',
    });
    expect(view.window).toMatchObject({ open: false, remaining: 0, kind: 'session' });
  });

  it('records a bot answer WeChat refuses with 45047 or 45015, does not retry it, and closes the window', async () => {
    const { sandbox } = env;
    for (const [user, errcode, reason] of [
      ['uma', 45047, 'used_up'],
      ['udo', 45015, 'closed'],
    ] as const) {
      const openid = sandbox.openIdFor(user);
      sandbox.custom.next.push({ errcode });
      const before = sandbox.custom.stats.sendCalls;
      await push(sandbox, one.pushUrl, user, text('你好'));
      const refused = await waitForEntry(openid, 'refused');
      expect(refused).toMatchObject({ from: 'bot', rule: 'default', result: 'refused', reason, errcode });
      expect(sandbox.custom.stats.sendCalls).toBe(before + 1); // one call, no retry
      const calls = sandbox.custom.stats.sendCalls;
      expect((await reply(openid, { text: '在吗' })).status).toBe(409); // our window follows WeChat's
      expect(sandbox.custom.stats.sendCalls).toBe(calls);
    }
  });

  it('retries -1 and HTTP 5xx, and refreshes a refused token once', async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('rita');
    sandbox.custom.next.push({ errcode: -1 }, { http: 502 });
    await push(sandbox, one.pushUrl, 'rita', text('你好'));
    expect(await settledAnswers(sandbox, [t], openid, 1)).toEqual(['收到']);
    expect(sandbox.custom.stats.sendCalls).toBe(3);

    sandbox.revokeTokens(); // the shared token now answers 40001
    const fetches = sandbox.stats.stableTokenFetches;
    expect((await reply(openid, { text: '新令牌' })).status).toBe(201);
    expect(sandbox.stats.stableTokenFetches).toBe(fetches + 1);
    expect(sandbox.custom.stats.sendCalls).toBe(5);
    expect(answersTo(sandbox, openid)).toEqual(['收到', '新令牌']);
  });

  it('records a final failure (48001) in the conversation and answers an agent 503', async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('finn');
    await push(sandbox, one.pushUrl, 'finn', text('你好'));
    await settledAnswers(sandbox, [t], openid, 1);
    sandbox.custom.next.push({ errcode: 48001 });
    const res = await reply(openid, { text: '试试' });
    expect(res.status).toBe(503);
    expect((res.body as ErrorBody).errcode).toBe(50360);
    expect((await conversation(openid)).messages[0]).toMatchObject({
      from: 'agent',
      result: 'failed',
      errcode: 48001,
    });
    // The failed send gave its message back: four are left of the five.
    expect((await conversation(openid)).window).toMatchObject({ open: true, remaining: 4 });
  });
});

async function waitForEntry(openid: string, result: string): Promise<Record<string, unknown>> {
  return waitFor(async () => {
    const res = await api(t).get(`/api/admin/conversations/${openid}`).set(admin(t));
    if (res.status !== 200) return undefined;
    return data<ConversationView>(res).messages.find((m) => m.result === result) as
      Record<string, unknown> | undefined;
  });
}
