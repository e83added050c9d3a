import request from 'supertest';
import type { Step } from '../personal-data/every-feature';
import { bearer, waitFor } from '../support/harness';

/**
 * Comments as a step of test/personal-data/every-feature.ts (`STEPS`): the other person publishes
 * a notice to their group; the subject comments on it, asks a private question, writes one held
 * for review and a reply; the other person answers, approves and deletes, which leaves the
 * subject's comments, their index and their rate counter (src/services/comment-personal-data.ts).
 */
export const COMMENT_STEP: Step = {
  feature: 'comments: a comment, a private question, one held for review, replies both ways',
  routes: [
    'POST /api/notices/{id}/comments',
    'GET /api/notices/{id}/comments',
    'GET /api/notices/{id}/comments/pending',
    'POST /api/notices/{id}/comments/{commentId}/replies',
    'GET /api/notices/{id}/comments/{commentId}/replies',
    'POST /api/notices/{id}/comments/{commentId}/approve',
    'DELETE /api/notices/{id}/comments/{commentId}',
  ],
  async run(world) {
    const [me = ''] = world.subject.tokens;
    const them = world.other.token;
    const group = await world.call(them, 'POST /api/groups', {}, { name: '评论组' });
    await world.call(me, 'POST /api/groups/join', {}, { code: group.body.data.invite.code });
    const notice = await world.call(
      them,
      'POST /api/notices',
      {},
      { title: '运动会报名', category: '活动', audience: { groups: [group.body.data.id] } },
    );
    const id = notice.body.data.id as string;
    const app = world.t.instance.app.callback();
    await waitFor(async () => (await request(app).get(`/api/notices/${id}`).set(bearer(me))).status === 200, {
      what: 'the subject to receive the notice',
    });
    const post = async (token: string, body: object) =>
      (await world.call(token, 'POST /api/notices/{id}/comments', { id }, body)).body.data.id as string;
    const mine = await post(me, { text: '我报名跳远' });
    await post(me, { text: '老师，可以报两项吗？', private: true });
    const held = await post(me, { text: '有代购运动鞋的吗' });
    const theirs = await post(them, { text: '截止周五' });
    const route = 'POST /api/notices/{id}/comments/{commentId}/replies';
    await world.call(them, route, { id, commentId: mine }, { text: '好的，记下了' });
    await world.call(me, route, { id, commentId: theirs }, { text: '收到' });
    await world.call(me, 'GET /api/notices/{id}/comments', { id });
    await world.call(me, 'GET /api/notices/{id}/comments/{commentId}/replies', { id, commentId: mine });
    await world.call(them, 'GET /api/notices/{id}/comments/pending', { id });
    await world.call(
      them,
      'POST /api/notices/{id}/comments/{commentId}/approve',
      { id, commentId: held },
      {},
    );
    const extra = await post(me, { text: '撤回这条' });
    await world.call(me, 'DELETE /api/notices/{id}/comments/{commentId}', { id, commentId: extra });
  },
};
