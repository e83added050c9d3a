import { TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { QUICK } from '../notices/notice-helpers';
import {
  api,
  classOf,
  comment,
  noticeTo,
  postReply,
  REPLY_TEMPLATE,
  reply,
  textsSeenBy,
  type Class,
  type Person,
} from './comment-helpers';

// A reply tells the person answered (README.md#comments-and-questions): one subscribe message of
// the reply template through the delivery pipeline, only where they have a grant for it.
const env = useSandbox();
const clock = new TestClock();
let t: TestInstance;
let c: Class;
let noticeId: string;

beforeAll(async () => {
  t = await env.start({ now: clock.now, tuning: QUICK, config: { quotaMode: 'enforce' } });
  c = await classOf(t, env.sandbox);
});

beforeEach(async () => {
  clock.advance(61_000);
  noticeId = await noticeTo(t, c, '春游通知');
});

const grant = (who: Person) =>
  api(t)
    .post('/api/subscriptions')
    .set(who.auth)
    .send({ results: { [REPLY_TEMPLATE]: 'accept' } })
    .expect(200);
const repliesTo = (who: Person) =>
  env.sandbox.sent.filter((m) => m.touser === who.openid && m.template_id === REPLY_TEMPLATE);

describe('POST /api/notices/:id/comments/:commentId/replies', () => {
  it('pushes the answer to a person with a grant, and to nobody without one', async () => {
    await grant(c.amy);
    const amys = await comment(t, c.amy, noticeId, { text: '要带午饭吗？', private: true });
    const bens = await comment(t, c.ben, noticeId, { text: '几点出发？' });
    await reply(t, c.assistant, noticeId, bens.id, '八点校门口');
    await reply(t, c.amy, noticeId, amys.id, '我自己补充一句'); // answering oneself tells no one
    const answer = await reply(t, c.assistant, noticeId, amys.id, '要带，学校不统一订餐');
    expect(answer).toMatchObject({ parentId: amys.id, replyTo: amys.id, private: true, status: 'visible' });

    await waitFor(() => repliesTo(c.amy).length === 1, { what: 'the push to amy' });
    const [message] = repliesTo(c.amy);
    expect(message).toMatchObject({ page: `pages/notice/detail?id=${noticeId}&comment=${amys.id}` });
    expect(message?.data.thing1?.value).toBe('春游通知');
    expect(message?.data.thing2?.value).toBe('李老师：要带，学校不统一订餐');
    // ben had no grant: his answer is stored and shown, but nothing reached WeChat for him
    expect(repliesTo(c.ben)).toEqual([]);
    expect(env.sandbox.sent.filter((m) => m.template_id === REPLY_TEMPLATE)).toHaveLength(1);
    expect(await textsSeenBy(t, c.ben, noticeId)).toEqual(['几点出发？', '八点校门口']);
  });

  it('tells the author of a reply it answers, in the same thread', async () => {
    await grant(c.assistant);
    const question = await comment(t, c.amy, noticeId, { text: '下雨怎么办？' });
    const first = await reply(t, c.assistant, noticeId, question.id, '下雨改期');
    const followUp = await reply(t, c.ben, noticeId, first.id, '改到哪天？');
    expect(followUp).toMatchObject({ parentId: question.id, replyTo: first.id });
    await waitFor(() => repliesTo(c.assistant).length === 1, { what: 'the push to the assistant' });
    expect(repliesTo(c.assistant)[0]?.data.thing2?.value).toBe('小本：改到哪天？');
    expect(repliesTo(c.amy)).toEqual([]); // no grant
  });

  it('pushes a reply held for review only once a manager approves it', async () => {
    await grant(c.ben);
    await grant(c.ben);
    const bens = await comment(t, c.ben, noticeId, { text: '有人拼车吗' });
    const held = await reply(t, c.amy, noticeId, bens.id, '代购零食，私聊');
    expect(held.status).toBe('pending_review');
    const clean = await comment(t, c.ben, noticeId, { text: '还有问题' });
    await reply(t, c.teacher, noticeId, clean.id, '请讲');
    // positive control: the visible reply's push arrives; the held one's does not
    await waitFor(() => repliesTo(c.ben).length === 1, { what: 'the visible reply’s push' });
    expect(repliesTo(c.ben)[0]?.data.thing2?.value).toBe('请讲');
    await api(t).post(`/api/notices/${noticeId}/comments/${held.id}/approve`).set(c.teacher.auth).expect(200);
    await waitFor(() => repliesTo(c.ben).length === 2, { what: 'the approved reply’s push' });
    expect(repliesTo(c.ben)[1]?.data.thing2?.value).toBe('艾米：代购零食，私聊');
  });

  it('answers 404 for a comment that does not exist or is unseen, 401 and 400', async () => {
    const question = await comment(t, c.amy, noticeId, { text: '私信', private: true });
    expect((await postReply(t, c.ben, noticeId, question.id, { text: '你好' })).body.errcode).toBe(40470);
    expect((await postReply(t, c.ben, noticeId, '12345', { text: '你好' })).body.errcode).toBe(40470);
    expect((await postReply(t, c.stranger, noticeId, question.id, { text: '你好' })).body.errcode).toBe(
      40450,
    );
    const anonymous = await api(t)
      .post(`/api/notices/${noticeId}/comments/${question.id}/replies`)
      .send({ text: '你好' });
    expect(anonymous.status).toBe(401);
    const bad = await postReply(t, c.amy, noticeId, question.id, { text: '', private: true });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['private', 'text']);
    expect(await textsSeenBy(t, c.teacher, noticeId)).toEqual(['私信']);
  });
});
