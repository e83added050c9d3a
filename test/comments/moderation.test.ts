import { data } from '../support/api-types';
import { TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import type { NoticeView } from '../../src/http/presenters/notice';
import { QUICK } from '../notices/notice-helpers';
import {
  api,
  classOf,
  comment,
  everythingStored,
  keysHolding,
  noticeTo,
  postComment,
  postReply,
  reply,
  textsSeenBy,
  type Class,
} from './comment-helpers';

// WeChat's content check on every comment and reply, the review queue, and deleting
// (README.md#comments-and-questions).
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
  clock.advance(61_000);
  noticeId = await noticeTo(t, c);
});

const count = async (who: typeof c.amy) =>
  data<NoticeView>(await api(t).get(`/api/notices/${noticeId}`).set(who.auth)).comments;

describe('content checks', () => {
  it('refuses a risky comment or reply with 422 and stores it nowhere', async () => {
    const res = await postComment(t, c.amy, noticeId, { text: '周末一起去赌博吧' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ errcode: 42270, details: [{ path: 'text' }] });
    expect(env.sandbox.secChecks.calls).toEqual([
      expect.objectContaining({
        openid: c.amy.openid,
        scene: 2,
        content: '周末一起去赌博吧',
        suggest: 'risky',
      }),
    ]);
    const clean = await comment(t, c.ben, noticeId, { text: '老师好' });
    const answer = await postReply(t, c.amy, noticeId, clean.id, { text: '我有毒品' });
    expect(answer.status).toBe(422);
    const stored = await everythingStored(t);
    expect(stored).toContain('老师好'); // positive control: a stored comment is found by the scan
    expect(stored).not.toContain('赌博');
    expect(stored).not.toContain('毒品');
    expect(await textsSeenBy(t, c.teacher, noticeId)).toEqual(['老师好']);
  });

  it('answers 503 when WeChat cannot check the text, and stores nothing', async () => {
    env.sandbox.faults.secCheckBusy = true;
    const res = await postComment(t, c.amy, noticeId, { text: '明天见' });
    expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 503, errcode: 50370 });
    env.sandbox.faults.secCheckBusy = false;
    expect(await everythingStored(t)).not.toContain('明天见');
  });

  it('holds a comment WeChat sends to review: its author and the managers see it, others once approved', async () => {
    const held = await comment(t, c.amy, noticeId, { text: '有需要代购的吗' });
    expect(held.status).toBe('pending_review');
    expect(await textsSeenBy(t, c.ben, noticeId)).toEqual([]);
    expect(await textsSeenBy(t, c.amy, noticeId)).toEqual(['有需要代购的吗']);
    expect(await textsSeenBy(t, c.assistant, noticeId)).toEqual(['有需要代购的吗']);
    expect(await count(c.ben)).toBe(0);

    const pending = await api(t).get(`/api/notices/${noticeId}/comments/pending`).set(c.assistant.auth);
    expect(pending.status).toBe(200);
    expect(pending.body.data.items).toEqual([
      expect.objectContaining({ id: held.id, status: 'pending_review', text: '有需要代购的吗' }),
    ]);
    expect((await api(t).get(`/api/notices/${noticeId}/comments/pending`).set(c.ben.auth)).body.errcode).toBe(
      40370,
    );
    const byMember = await api(t)
      .post(`/api/notices/${noticeId}/comments/${held.id}/approve`)
      .set(c.amy.auth);
    expect({ status: byMember.status, errcode: byMember.body.errcode }).toEqual({
      status: 403,
      errcode: 40370,
    });

    const approved = await api(t)
      .post(`/api/notices/${noticeId}/comments/${held.id}/approve`)
      .set(c.assistant.auth);
    expect(approved.status).toBe(200);
    expect(approved.body.data).toMatchObject({ status: 'visible', approvedAt: expect.any(String) });
    expect(await textsSeenBy(t, c.ben, noticeId)).toEqual(['有需要代购的吗']);
    expect(await count(c.ben)).toBe(1);
    const empty = await api(t).get(`/api/notices/${noticeId}/comments/pending`).set(c.teacher.auth);
    expect(empty.body.data).toEqual({ items: [], nextCursor: null });
  });

  it('holds a reply for review too, under a visible comment', async () => {
    const clean = await comment(t, c.ben, noticeId, { text: '几点集合？' });
    const held = await reply(t, c.amy, noticeId, clean.id, '加微信细聊');
    expect(held.status).toBe('pending_review');
    expect(await textsSeenBy(t, c.ben, noticeId)).toEqual(['几点集合？']);
    expect(await textsSeenBy(t, c.amy, noticeId)).toEqual(['几点集合？', '加微信细聊']);
    await api(t).post(`/api/notices/${noticeId}/comments/${held.id}/approve`).set(c.teacher.auth).expect(200);
    expect(await textsSeenBy(t, c.ben, noticeId)).toEqual(['几点集合？', '加微信细聊']);
  });
});

describe('the hot ranking’s activity', () => {
  it('counts a visible comment at once and a held one when it is approved', async () => {
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    const comments = async () =>
      Number((await t.redis.hGet(t.instance.keys.noticeActivity(noticeId), `${day}:comment`)) ?? 0);
    await comment(t, c.amy, noticeId, { text: '好的' });
    await waitFor(async () => (await comments()) === 1, { what: 'the visible comment counted' });
    const held = await comment(t, c.ben, noticeId, { text: '代购文具' });
    await comment(t, c.amy, noticeId, { text: '明白' });
    // positive control: the later visible comment is counted, the held one is not
    await waitFor(async () => (await comments()) === 2, { what: 'the second visible comment counted' });
    expect(await comments()).toBe(2);
    await api(t).post(`/api/notices/${noticeId}/comments/${held.id}/approve`).set(c.teacher.auth).expect(200);
    await waitFor(async () => (await comments()) === 3, { what: 'the approved comment counted' });
  });
});

describe('DELETE /api/notices/:id/comments/:commentId', () => {
  it('lets an author delete their own comment, with its replies', async () => {
    const own = await comment(t, c.amy, noticeId, { text: '我的评论' });
    await reply(t, c.ben, noticeId, own.id, '别人的回复');
    const res = await api(t).delete(`/api/notices/${noticeId}/comments/${own.id}`).set(c.amy.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ id: own.id, deleted: true, replies: 1 });
    expect(await textsSeenBy(t, c.teacher, noticeId)).toEqual([]);
    expect(await keysHolding(t, '我的评论')).toEqual([]);
    // The reply's push to amy was sent and is hers (her notification record); no comment key is left.
    const left = await keysHolding(t, '别人的回复');
    expect(left.length).toBeGreaterThan(0);
    expect(left.filter((k) => !/^notification:\{n\d+\}:\d+$/.test(k))).toEqual([]);
    expect(await count(c.amy)).toBe(0);
  });

  it('lets any manager delete any comment or reply (moderation)', async () => {
    const theirs = await comment(t, c.amy, noticeId, { text: '要删掉的' });
    const kept = await comment(t, c.ben, noticeId, { text: '留着的' });
    const answer = await reply(t, c.ben, noticeId, kept.id, '要删掉的回复');
    await api(t).delete(`/api/notices/${noticeId}/comments/${theirs.id}`).set(c.assistant.auth).expect(200);
    const gone = await api(t).delete(`/api/notices/${noticeId}/comments/${answer.id}`).set(c.teacher.auth);
    expect(gone.body.data).toEqual({ id: answer.id, deleted: true, replies: 0 });
    expect(await textsSeenBy(t, c.amy, noticeId)).toEqual(['留着的']);
  });

  it('refuses another member (403), someone who cannot see it (404), and no session (401)', async () => {
    const theirs = await comment(t, c.amy, noticeId, { text: '别删我' });
    const question = await comment(t, c.amy, noticeId, { text: '私下问', private: true });
    const byBen = await api(t).delete(`/api/notices/${noticeId}/comments/${theirs.id}`).set(c.ben.auth);
    expect({ status: byBen.status, errcode: byBen.body.errcode }).toEqual({ status: 403, errcode: 40370 });
    const unseen = await api(t).delete(`/api/notices/${noticeId}/comments/${question.id}`).set(c.ben.auth);
    expect({ status: unseen.status, errcode: unseen.body.errcode }).toEqual({ status: 404, errcode: 40470 });
    expect((await api(t).delete(`/api/notices/${noticeId}/comments/999`).set(c.amy.auth)).status).toBe(404);
    expect((await api(t).delete(`/api/notices/${noticeId}/comments/${theirs.id}`)).status).toBe(401);
    expect((await api(t).delete(`/api/notices/${noticeId}/comments/x`).set(c.amy.auth)).status).toBe(400);
    expect(await textsSeenBy(t, c.amy, noticeId)).toEqual(['私下问', '别删我']);
  });
});

describe('when the notice goes', () => {
  it('purgeNotice deletes every comment key of the notice and the authors’ index entries', async () => {
    const other = await noticeTo(t, c, '另一条');
    const kept = await comment(t, c.amy, other, { text: '别的通知下的' });
    const first = await comment(t, c.amy, noticeId, { text: '要清掉的' });
    await reply(t, c.ben, noticeId, first.id, '也要清掉');
    await comment(t, c.ben, noticeId, { text: '代购清掉', private: true });
    expect(await t.instance.comments.purgeNotice(noticeId)).toBe(2);
    expect(await keysHolding(t, `notice:{nt${noticeId}}:comment`)).toEqual([]);
    const indexed = await keysHolding(t, `${noticeId}:${first.id}`);
    expect(indexed.filter((k) => k.startsWith('comments:'))).toEqual([]);
    // positive control: the other notice's comment and its index entry stay (among the comments'
    // keys: `<notice>:<comment>` also turns up inside times such as 22:13:15 in other records)
    expect(await textsSeenBy(t, c.amy, other)).toEqual(['别的通知下的']);
    const stillIndexed = await keysHolding(t, `${other}:${kept.id}`);
    expect(stillIndexed.filter((k) => k.startsWith('comments:'))).toEqual([
      expect.stringMatching(/^comments:\{u\d+\}:/),
    ]);
  });
});
