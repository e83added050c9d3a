import { readFileSync } from 'node:fs';
import path from 'node:path';
import { api, bearer, login, TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, type ErrorBody, type PersonalExportView } from '../support/api-types';
import type { AgentReplyView, ConversationPageView, ConversationView } from '../../src/http/presenters';
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

// The agents' side (docs/architecture.md#customer-service): conversations in both directions, and replies that reach WeChat.
const clock = new TestClock();
const env = useSandbox({ push: SECURE, now: clock.now });
let one: Listening;
let t: TestInstance;
const PNG = readFileSync(path.join(__dirname, '..', '..', 'config', 'bot', 'tixing.png'));

beforeAll(async () => {
  [one] = (await startListening(env, 1, { now: clock.now })) as [Listening];
  t = one.t;
  await putRules(t, [{ name: 'pic', match: { keyword: '图' }, reply: { image: { file: 'tixing.png' } } }], {
    reply: { text: '收到' },
  });
});

const reply = (openid: string, body: object) =>
  api(t).post(`/api/admin/conversations/${openid}/messages`).set(admin(t)).send(body);
const conversation = async (openid: string) =>
  data<ConversationView>(await api(t).get(`/api/admin/conversations/${openid}`).set(admin(t)));

describe('POST /api/admin/conversations/:openid/messages', () => {
  it("sends an agent's text while the window is open: it reaches the sandbox and the conversation", async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('ann');
    await push(sandbox, one.pushUrl, 'ann', text('我的提醒没响'));
    await settledAnswers(sandbox, [t], openid, 1);
    const res = await reply(openid, { text: '请检查是否允许了订阅消息。' });
    expect(res.status).toBe(201);
    expect(data<AgentReplyView>(res)).toMatchObject({
      message: {
        direction: 'out',
        from: 'agent',
        type: 'text',
        text: '请检查是否允许了订阅消息。',
        result: 'sent',
      },
      window: { open: true, remaining: 3, kind: 'message' },
    });
    expect(sandbox.custom.sent.at(-1)).toMatchObject({
      touser: openid,
      msgtype: 'text',
      text: { content: '请检查是否允许了订阅消息。' },
    });
    const view = await conversation(openid);
    expect(view.messages.map((m) => [m.from, m.text])).toEqual([
      ['agent', '请检查是否允许了订阅消息。'],
      ['bot', '收到'],
      ['user', '我的提醒没响'],
    ]);
  });

  it('sends links, mini-program cards and images, uploading each image once and again before its 3 days end', async () => {
    const { sandbox } = env;
    const openid = sandbox.openIdFor('ian');
    await push(sandbox, one.pushUrl, 'ian', text('图'));
    await settledAnswers(sandbox, [t], openid, 1); // the bot's image: one upload
    expect(sandbox.custom.stats.uploadCalls).toBe(1);
    const link = {
      title: '帮助',
      description: '常见问题',
      url: 'https://example.com/faq',
      thumbUrl: 'https://example.com/t.png',
    };
    expect((await reply(openid, { link })).status).toBe(201);
    const card = { title: '我的提醒', pagePath: 'pages/index/index?from=kf', thumb: { file: 'tixing.png' } };
    expect((await reply(openid, { miniprogrampage: card })).status).toBe(201);
    expect((await reply(openid, { image: { data: PNG.toString('base64') } })).status).toBe(201);
    expect(sandbox.custom.stats.uploadCalls).toBe(1); // the same bytes: the cached media_id
    const sent = sandbox.custom.sent.filter((m) => m.touser === openid);
    expect(sent.map((m) => m.msgtype)).toEqual(['image', 'link', 'miniprogrampage', 'image']);
    const mediaId = sent[0]?.image?.media_id;
    expect(sent[2]?.miniprogrampage).toEqual({
      title: '我的提醒',
      pagepath: 'pages/index/index?from=kf',
      thumb_media_id: mediaId,
    });
    expect(sent[1]?.link).toEqual({ ...link, thumbUrl: undefined, thumb_url: link.thumbUrl });

    // 2.5 days later the media_id has half a day left: it is renewed, and the new one is used.
    clock.advance(60 * 3_600_000);
    await push(sandbox, one.pushUrl, 'ian', text('图'));
    await settledAnswers(sandbox, [t], openid, 5);
    expect(sandbox.custom.stats.uploadCalls).toBe(2);
    const renewed = sandbox.custom.sent.filter((m) => m.touser === openid).at(-1)?.image?.media_id;
    expect(renewed).toBeDefined();
    expect(renewed).not.toBe(mediaId);
    expect((await conversation(openid)).messages[0]).toMatchObject({
      type: 'image',
      image: { file: 'tixing.png', mediaId: renewed },
    });
  });

  it('answers 404 for a user who never wrote, 400 for a bad body, 401 without the admin token', async () => {
    const { sandbox } = env;
    const stranger = sandbox.openIdFor('nobody');
    expect((await reply(stranger, { text: '你好' })).body).toMatchObject({ errcode: 40460 });
    await push(sandbox, one.pushUrl, 'bea', text('你好'));
    const openid = sandbox.openIdFor('bea');
    const bad = await reply(openid, { text: '', link: { title: 'x' } });
    expect(bad.status).toBe(400);
    expect((bad.body as ErrorBody).details?.map((d) => d.path)).toEqual(
      expect.arrayContaining(['text', 'link.description']),
    );
    const notImage = await reply(openid, { image: { data: Buffer.from('not an image').toString('base64') } });
    expect(notImage.status).toBe(400);
    expect((notImage.body as ErrorBody).details?.[0]?.path).toBe('image.data');
    expect(
      (await api(t).post(`/api/admin/conversations/${openid}/messages`).send({ text: 'x' })).status,
    ).toBe(401);
    expect((await api(t).get('/api/admin/conversations/not an openid').set(admin(t))).status).toBe(400);
  });
});

describe('GET /api/admin/conversations', () => {
  it('lists conversations by last activity, newest first, page by page', async () => {
    const { sandbox } = env;
    for (const user of ['p1', 'p2', 'p3']) await push(sandbox, one.pushUrl, user, text('你好'));
    await push(sandbox, one.pushUrl, 'p1', text('又来了'));
    const first = data<ConversationPageView>(
      await api(t).get('/api/admin/conversations?limit=2').set(admin(t)),
    );
    expect(first.items.map((c) => c.openid)).toEqual([sandbox.openIdFor('p1'), sandbox.openIdFor('p3')]);
    expect(first.items[0]?.last).toMatchObject({ text: expect.any(String) });
    expect(first.nextCursor).not.toBeNull();
    const second = data<ConversationPageView>(
      await api(t)
        .get(`/api/admin/conversations?limit=2&cursor=${first.nextCursor ?? ''}`)
        .set(admin(t)),
    );
    expect(second.items[0]?.openid).toBe(sandbox.openIdFor('p2'));
    expect((await api(t).get('/api/admin/conversations?cursor=x').set(admin(t))).status).toBe(400);
  });
});

describe('what arrives', () => {
  it.each([
    ['plain JSON', { token: SECURE.token }, 'json', false],
    ['plain XML', { token: SECURE.token }, 'xml', false],
    ['compatible JSON', SECURE, 'json', true],
    ['secure XML', SECURE, 'xml', true],
  ] as const)('stores text, image and mini-program pages pushed in %s', async (mode, wx, format, encrypt) => {
    const { sandbox } = env;
    let target = one;
    if (wx !== SECURE) {
      // Plain mode: an instance without WX_AES_KEY, and the console (the sandbox) without it too.
      [target] = (await startListening(env, 1, {
        now: clock.now,
        config: { wx: { aesKey: undefined } },
      })) as [Listening];
      await putRules(target.t, [], { reply: { text: '收到' } });
      sandbox.pushSide.configure({ token: wx.token });
    }
    try {
      const user = `m${mode.replace(' ', '')}`;
      const openid = sandbox.openIdFor(user);
      const compatible = mode.startsWith('compatible');
      const send = (message: Record<string, unknown>) =>
        push(sandbox, target.pushUrl, user, message, { format, encrypt, compatible });
      await send(text('文字 <b>&amp;</b>'));
      await send({ MsgType: 'image', PicUrl: 'https://mmbiz.qpic.cn/x.jpg', MediaId: 'media-1' });
      await send({
        MsgType: 'miniprogrampage',
        Title: '卡片',
        AppId: 'wx0123456789abcdef',
        PagePath: 'pages/a',
        ThumbUrl: 'https://t',
        ThumbMediaId: 'thumb-1',
      });
      const view = data<ConversationView>(
        await api(target.t).get(`/api/admin/conversations/${openid}`).set(admin(target.t)),
      );
      expect(view.messages.filter((m) => m.direction === 'in').reverse()).toMatchObject([
        { type: 'text', text: '文字 <b>&amp;</b>' },
        { type: 'image', image: { picUrl: 'https://mmbiz.qpic.cn/x.jpg', mediaId: 'media-1' } },
        {
          type: 'miniprogrampage',
          miniprogrampage: { title: '卡片', pagePath: 'pages/a', thumbMediaId: 'thumb-1' },
        },
      ]);
      expect(await settledAnswers(sandbox, [target.t], openid, 3)).toEqual(['收到', '收到', '收到']);
    } finally {
      sandbox.pushSide.configure(SECURE);
    }
  });
});

describe('personal data and metrics', () => {
  it('exports the conversation and erases it with its window and its index entry', async () => {
    const { sandbox } = env;
    const token = await login(t, 'era#1');
    const openid = sandbox.openIdFor('era');
    await push(sandbox, one.pushUrl, 'era', text('删除我的数据'));
    await settledAnswers(sandbox, [t], openid, 1);
    const exported = data<PersonalExportView>(await api(t).get('/api/me/export').set(bearer(token)));
    expect(exported.conversations).toMatchObject({
      window: { remaining: 4, kind: 'message' },
      messages: [
        { from: 'bot', text: '收到' },
        { from: 'user', text: '删除我的数据' },
      ],
    });
    const k = t.instance.keys;
    expect(await t.redis.exists([k.conversation(openid), k.conversationWindow(openid)])).toBe(2);
    const erased = await api(t).delete('/api/me').set(bearer(token));
    expect(erased.status).toBe(200);
    expect(erased.body.data.records.conversations).toBe(4); // two entries, the window, the index entry
    expect(await t.redis.exists([k.conversation(openid), k.conversationWindow(openid)])).toBe(0);
    expect(await t.redis.zScore(k.conversations(), openid)).toBeNull();
    expect((await api(t).get(`/api/admin/conversations/${openid}`).set(admin(t))).status).toBe(404);
  });

  it('counts messages in by type and answers by rule and result on /metrics', async () => {
    const { sandbox } = env;
    await push(sandbox, one.pushUrl, 'met', text('你好'));
    await push(sandbox, one.pushUrl, 'meg', { MsgType: 'event', Event: 'user_enter_tempsession' });
    await settledAnswers(sandbox, [t], sandbox.openIdFor('met'), 1);
    await settledAnswers(sandbox, [t], sandbox.openIdFor('meg'), 1);
    const metrics = await waitFor(async () => {
      const res = await api(t).get('/metrics');
      return /tixing_bot_answers_total\{rule="default",result="sent"\} [1-9]/.test(res.text) && res.text;
    });
    expect(metrics).toMatch(/tixing_bot_messages_in_total\{type="text"\} [1-9]/);
    expect(metrics).toMatch(/tixing_bot_messages_in_total\{type="user_enter_tempsession"\} [1-9]/);
  });
});
