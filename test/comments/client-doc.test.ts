import { clientPhone } from '../docs/client-phone';
import { useSandbox, waitFor, type TestInstance } from '../support/harness';
import { QUICK } from '../notices/notice-helpers';
import { api as call, classOf, noticeTo, REPLY_TEMPLATE, textsSeenBy, type Class } from './comment-helpers';

/**
 * docs/client.md's comments section as a mini-program runs it: `utils/api.js` and
 * `utils/comments.js`, as printed, against a real tixing listening on a port, with a stand-in for
 * `wx` (wx.request through fetch, wx.login with sandbox codes, wx.requestSubscribeMessage accepting).
 */
type Json = Record<string, unknown>;
interface CommentUtils {
  REPLY_TEMPLATE: string;
  listComments(noticeId: string, cursor?: string): Promise<{ items: Json[]; nextCursor: string | null }>;
  postComment(noticeId: string, text: string, question?: boolean): Promise<Json & { id: string }>;
  postReply(noticeId: string, commentId: string, text: string): Promise<Json & { id: string }>;
  commentNote(comment: Json): string;
  commentProblem(err: unknown): string | null;
}

/** One phone of sandbox user `user`: its `wx`, and the two modules loaded from the page. */
function phone(base: string, user: string) {
  const asked: string[][] = [];
  const { api, load } = clientPhone(base, user, 'k', {
    requestSubscribeMessage(o: { tmplIds: string[]; success: (r: Json) => void }) {
      asked.push(o.tmplIds);
      const result = Object.fromEntries(o.tmplIds.map((id) => [id, 'accept']));
      setTimeout(() => o.success({ errMsg: 'requestSubscribeMessage:ok', ...result }), 1);
    },
  });
  return { api, comments: load<CommentUtils>('// utils/comments.js'), asked };
}

const env = useSandbox();
let t: TestInstance;
let base: string;
let c: Class;

beforeAll(async () => {
  t = await env.start({ tuning: QUICK, config: { quotaMode: 'enforce' } });
  base = (await t.instance.listen(0, '127.0.0.1')).url;
  c = await classOf(t, env.sandbox);
});

describe('docs/client.md: comments and questions', () => {
  it('asks a question with the reply push granted, and the teacher’s answer reaches the phone', async () => {
    const noticeId = await noticeTo(t, c);
    const amy = phone(base, 'amy');
    expect(amy.comments.REPLY_TEMPLATE).toBe(REPLY_TEMPLATE);
    const question = await amy.comments.postComment(noticeId, '可以线上参加吗？', true);
    expect(amy.asked).toEqual([[REPLY_TEMPLATE]]);
    expect(amy.comments.commentNote(question)).toBe('仅你和老师可见');
    const page = await amy.comments.listComments(noticeId);
    expect(page.items.map((x) => x.text)).toEqual(['可以线上参加吗？']);
    expect(await textsSeenBy(t, c.ben, noticeId)).toEqual([]);

    await call(t)
      .post(`/api/notices/${noticeId}/comments/${question.id}/replies`)
      .set(c.teacher.auth)
      .send({ text: '可以' })
      .expect(201);
    await waitFor(() =>
      env.sandbox.sent.some((m) => m.touser === c.amy.openid && m.template_id === REPLY_TEMPLATE),
    );
  });

  it('explains a refused text and one held for review in the user’s words', async () => {
    const noticeId = await noticeTo(t, c, '运动会');
    const ben = phone(base, 'ben');
    const risky = await ben.comments.postComment(noticeId, '去赌博吗').catch((err: unknown) => err);
    expect(ben.comments.commentProblem(risky)).toBe('内容未通过微信安全检测，请修改后再发');
    const held = await ben.comments.postComment(noticeId, '代购球鞋');
    expect(ben.comments.commentNote(held)).toBe('审核中，仅你和管理员可见');
    const empty = await ben.comments.postReply(noticeId, held.id, ' ').catch((err: unknown) => err);
    expect(ben.comments.commentProblem(empty)).toContain('text');
  });
});
