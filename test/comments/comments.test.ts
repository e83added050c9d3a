import { data } from '../support/api-types';
import { TestClock, useSandbox, type TestInstance } from '../support/harness';
import type { NoticeView } from '../../src/http/presenters/notice';
import { QUICK, publish } from '../notices/notice-helpers';
import {
  api,
  classOf,
  comment,
  noticeTo,
  postComment,
  REPLY_TEMPLATE,
  reply,
  textsSeenBy,
  threads,
  type Class,
} from './comment-helpers';

// Comments and private questions on a notice (README.md#comments-and-questions), through HTTP.
const env = useSandbox();
const clock = new TestClock();
let t: TestInstance;
let c: Class;
let noticeId: string;

beforeAll(async () => {
  t = await env.start({ now: clock.now, tuning: QUICK });
  c = await classOf(t, env.sandbox);
});

beforeEach(async () => {
  // A fresh rate-limit window (a minute) for every test, starting now.
  clock.advance(60_000 - (clock.now() % 60_000) + 10);
  noticeId = await noticeTo(t, c);
});

describe('POST /api/notices/:id/comments', () => {
  it('stores a public comment that every recipient and manager sees, and counts it on the notice', async () => {
    const created = await comment(t, c.amy, noticeId, { text: '收到，谢谢老师' });
    expect(created).toMatchObject({
      noticeId,
      parentId: null,
      author: { name: '艾米', role: 'member' },
      private: false,
      status: 'visible',
      text: '收到，谢谢老师',
      mine: true,
      canDelete: true,
      replyTemplateId: REPLY_TEMPLATE,
    });
    expect(JSON.stringify(created)).not.toContain(c.amy.openid);
    for (const who of [c.ben, c.teacher, c.assistant]) {
      expect(await textsSeenBy(t, who, noticeId)).toEqual(['收到，谢谢老师']);
    }
    const [asBen] = await threads(t, c.ben, noticeId);
    expect(asBen).toMatchObject({ mine: false, canDelete: false });
    const [asTeacher] = await threads(t, c.teacher, noticeId);
    expect(asTeacher).toMatchObject({ mine: false, canDelete: true });
    const view = await api(t).get(`/api/notices/${noticeId}`).set(c.ben.auth);
    expect(data<NoticeView>(view).comments).toBe(1);
  });

  it('keeps a private question from the other members and shows it to its author and every manager', async () => {
    await comment(t, c.ben, noticeId, { text: '大家好' });
    const question = await comment(t, c.amy, noticeId, {
      text: '老师，我那天请假可以补考吗？',
      private: true,
    });
    expect(question).toMatchObject({ private: true, status: 'visible' });
    expect(await textsSeenBy(t, c.ben, noticeId)).toEqual(['大家好']);
    expect(await textsSeenBy(t, c.amy, noticeId)).toEqual(['老师，我那天请假可以补考吗？', '大家好']);
    for (const manager of [c.teacher, c.assistant]) {
      expect(await textsSeenBy(t, manager, noticeId)).toEqual(['老师，我那天请假可以补考吗？', '大家好']);
    }
    // The teacher's answer is in the question's thread: seen by amy, still not by ben.
    await reply(t, c.teacher, noticeId, question.id, '可以，下周一补考');
    expect(await textsSeenBy(t, c.amy, noticeId)).toContain('可以，下周一补考');
    expect(await textsSeenBy(t, c.ben, noticeId)).toEqual(['大家好']);
    const hidden = await api(t)
      .get(`/api/notices/${noticeId}/comments/${question.id}/replies`)
      .set(c.ben.auth);
    expect({ status: hidden.status, errcode: hidden.body.errcode }).toEqual({ status: 404, errcode: 40470 });
    const asked = await api(t)
      .post(`/api/notices/${noticeId}/comments/${question.id}/replies`)
      .set(c.ben.auth)
      .send({ text: '我也想问' });
    expect(asked.status).toBe(404);
    // Only the public comment counts on the notice.
    const view = await api(t).get(`/api/notices/${noticeId}`).set(c.amy.auth);
    expect(data<NoticeView>(view).comments).toBe(1);
  });

  it('lets the managers comment too, as managers', async () => {
    const created = await comment(t, c.assistant, noticeId, { text: '请带好文具' });
    expect(created.author).toEqual({ name: '李老师', role: 'manager' });
    expect(await textsSeenBy(t, c.amy, noticeId)).toEqual(['请带好文具']);
  });

  it('answers 404 to someone who cannot see the notice, and stores nothing', async () => {
    const res = await postComment(t, c.stranger, noticeId, { text: '路过' });
    expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 404, errcode: 40450 });
    expect((await api(t).get(`/api/notices/${noticeId}/comments`).set(c.stranger.auth)).status).toBe(404);
    expect(await textsSeenBy(t, c.teacher, noticeId)).toEqual([]);
  });

  it('refuses comments on a notice that is not published (409)', async () => {
    const later = await publish(t, c.teacher, {
      title: '下学期安排',
      audience: { groups: [c.groupId] },
      publishAt: clock.now() + 86_400_000,
    });
    const res = await postComment(t, c.assistant, later.id, { text: '好的' });
    expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 409, errcode: 40970 });
  });

  it('answers 401 without a session and 400 naming every bad field, storing nothing', async () => {
    expect((await api(t).post(`/api/notices/${noticeId}/comments`).send({ text: '你好' })).status).toBe(401);
    expect((await api(t).get(`/api/notices/${noticeId}/comments`)).status).toBe(401);
    const checksBefore = env.sandbox.secChecks.attempts;
    const bad = await postComment(t, c.amy, noticeId, { text: 'x'.repeat(501), private: 'yes', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'extra',
      'private',
      'text',
    ]);
    const blank = await postComment(t, c.amy, noticeId, { text: '   ' });
    expect(blank.body.details).toEqual([expect.objectContaining({ path: 'text' })]);
    const control = await postComment(t, c.amy, noticeId, { text: 'a\u0007b' });
    expect(control.status).toBe(400);
    expect((await postComment(t, c.amy, 'abc', { text: '你好' })).status).toBe(400);
    const badCursor = await api(t).get(`/api/notices/${noticeId}/comments?cursor=x&limit=0`).set(c.amy.auth);
    expect(badCursor.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['cursor', 'limit']);
    expect(env.sandbox.secChecks.attempts).toBe(checksBefore); // bad input never reaches WeChat
    expect(await textsSeenBy(t, c.teacher, noticeId)).toEqual([]);
  });

  it('allows 10 comments and replies a minute per person, then 429 with Retry-After; the next minute opens again', async () => {
    const first = await comment(t, c.amy, noticeId, { text: '第1条' });
    for (let i = 2; i <= 9; i++) await comment(t, c.amy, noticeId, { text: `第${i}条` });
    await reply(t, c.amy, noticeId, first.id, '第10条');
    const over = await postComment(t, c.amy, noticeId, { text: '第11条' });
    expect({ status: over.status, errcode: over.body.errcode }).toEqual({ status: 429, errcode: 42970 });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    // positive control: someone else may still write in the same minute
    await comment(t, c.ben, noticeId, { text: '我还可以' });
    const texts = await textsSeenBy(t, c.teacher, noticeId);
    expect(texts).not.toContain('第11条');
    expect(texts).toHaveLength(11);
    clock.advance(Number(over.headers['retry-after']) * 1000);
    await comment(t, c.amy, noticeId, { text: '第11条' });
  });
});

describe('GET /api/notices/:id/comments', () => {
  it('pages newest first with each thread’s replies oldest first, every comment once', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 25; i++) {
      if (i === 11) clock.advance(61_000); // past the rate limit
      if (i === 21) clock.advance(61_000);
      ids.push((await comment(t, i % 2 ? c.amy : c.ben, noticeId, { text: `评论${i}` })).id);
    }
    clock.advance(61_000);
    await reply(t, c.teacher, noticeId, ids[0] ?? '', '第一条回复');
    await reply(t, c.ben, noticeId, ids[0] ?? '', '第二条回复');
    const first = await api(t).get(`/api/notices/${noticeId}/comments?limit=10`).set(c.ben.auth);
    expect(first.body.data.items).toHaveLength(10);
    expect(first.body.data.items[0].text).toBe('评论25');
    const all = await threads(t, c.ben, noticeId);
    expect(all.map((x) => x.text)).toEqual(Array.from({ length: 25 }, (_, i) => `评论${25 - i}`));
    expect(all[24]?.replies.map((r) => r.text)).toEqual(['第一条回复', '第二条回复']);
    expect(all[24]?.moreReplies).toBe(false);
    const replies = await api(t)
      .get(`/api/notices/${noticeId}/comments/${ids[0]}/replies?limit=1`)
      .set(c.amy.auth);
    expect(replies.body.data.items.map((r: { text: string }) => r.text)).toEqual(['第一条回复']);
    const rest = await api(t)
      .get(`/api/notices/${noticeId}/comments/${ids[0]}/replies?cursor=${replies.body.data.nextCursor}`)
      .set(c.amy.auth);
    expect(rest.body.data).toEqual({
      items: [expect.objectContaining({ text: '第二条回复' })],
      nextCursor: null,
    });
  });
});
