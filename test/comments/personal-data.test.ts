import { TestClock, useSandbox, type TestInstance } from '../support/harness';
import { QUICK } from '../notices/notice-helpers';
import {
  api,
  classOf,
  comment,
  keysHolding,
  noticeTo,
  reply,
  textsSeenBy,
  type Class,
} from './comment-helpers';

// What a person wrote on notices is theirs (docs/architecture.md#a-persons-own-data): the export
// lists it, the erasure deletes it (not anonymised), a comment with its thread.
const env = useSandbox();
const clock = new TestClock();
let t: TestInstance;
let c: Class;
let noticeId: string;

beforeAll(async () => {
  t = await env.start({ now: clock.now, tuning: QUICK });
  c = await classOf(t, env.sandbox);
  noticeId = await noticeTo(t, c);
});

describe('comments in GET /api/me/export and DELETE /api/me', () => {
  it('exports the comments and replies a person wrote, and erases them with their threads', async () => {
    const amys = await comment(t, c.amy, noticeId, { text: '艾米的评论' });
    const question = await comment(t, c.amy, noticeId, { text: '艾米的问题', private: true });
    await reply(t, c.teacher, noticeId, question.id, '老师的回答');
    const bens = await comment(t, c.ben, noticeId, { text: '小本的评论' });
    await reply(t, c.amy, noticeId, bens.id, '艾米的回复');
    await reply(t, c.teacher, noticeId, bens.id, '老师对小本的回复');

    const exported = await api(t).get('/api/me/export').set(c.amy.auth);
    expect(exported.status).toBe(200);
    const mine = exported.body.data.comments as { id: string; text: string; parentId: string | null }[];
    expect(mine.map((x) => [x.text, x.parentId])).toEqual([
      ['艾米的评论', null],
      ['艾米的问题', null],
      ['艾米的回复', bens.id],
    ]);
    expect(mine[0]).toMatchObject({ id: amys.id, noticeId, author: c.amy.openid, private: false });
    expect(exported.text).not.toContain('小本的评论'); // not hers

    await api(t).delete('/api/me').set(c.amy.auth).expect(200);
    expect(await textsSeenBy(t, c.teacher, noticeId)).toEqual(['小本的评论', '老师对小本的回复']);
    for (const text of ['艾米的评论', '艾米的问题', '老师的回答']) {
      expect(await keysHolding(t, text)).toEqual([]);
    }
    // Her reply was pushed to ben: that message is his (his notification record), no comment key holds it.
    expect(await keysHolding(t, '艾米的回复')).toEqual([
      expect.stringMatching(/^notification:\{n\d+\}:\d+$/),
    ]);
    expect(await keysHolding(t, c.amy.openid)).toEqual([]);
    expect(await keysHolding(t, '小本的评论')).not.toEqual([]); // positive control: others' stay
  });
});
