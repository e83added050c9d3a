import type request from 'supertest';
import { listRoutes, routeName } from '../docs/routes';
import { holdToDocument } from '../docs/openapi-doc';
import { TestClock, useSandbox, type TestInstance } from '../support/harness';
import { QUICK, publish } from '../notices/notice-helpers';
import { api, classOf, comment, noticeTo, reply, type Class } from './comment-helpers';

/**
 * Every comment operation of docs/openapi.yaml, called for real: each answer's status is listed
 * for the operation and its body conforms to the documented schema.
 */
const COMMENT_OPERATIONS = [
  'POST /api/notices/{id}/comments',
  'GET /api/notices/{id}/comments',
  'GET /api/notices/{id}/comments/pending',
  'DELETE /api/notices/{id}/comments/{commentId}',
  'POST /api/notices/{id}/comments/{commentId}/replies',
  'GET /api/notices/{id}/comments/{commentId}/replies',
  'POST /api/notices/{id}/comments/{commentId}/approve',
];
const exercised = new Map<string, Set<number>>();

function documented(route: string, res: request.Response): request.Response {
  const [method = '', docPath = ''] = route.split(' ');
  holdToDocument(method, docPath, res);
  exercised.set(route, (exercised.get(route) ?? new Set()).add(res.status));
  return res;
}

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

describe('the comment operations of docs/openapi.yaml', () => {
  it('are the comment routes the app serves', () => {
    const served = listRoutes(t.instance.app).map(routeName);
    expect(served.filter((r) => r.includes('/comments')).sort()).toEqual([...COMMENT_OPERATIONS].sort());
  });

  it('answer as documented, on success and on every refusal', async () => {
    const base = `/api/notices/${noticeId}/comments`;
    const post = 'POST /api/notices/{id}/comments';
    const list = 'GET /api/notices/{id}/comments';
    const pending = 'GET /api/notices/{id}/comments/pending';
    const del = 'DELETE /api/notices/{id}/comments/{commentId}';
    const answer = 'POST /api/notices/{id}/comments/{commentId}/replies';
    const replies = 'GET /api/notices/{id}/comments/{commentId}/replies';
    const approve = 'POST /api/notices/{id}/comments/{commentId}/approve';

    expect(documented(post, await api(t).post(base).set(c.amy.auth).send({ text: '好的' })).status).toBe(201);
    documented(post, await api(t).post(base).set(c.amy.auth).send({ text: '' }));
    documented(post, await api(t).post(base).send({ text: '好的' }));
    documented(post, await api(t).post(base).set(c.stranger.auth).send({ text: '好的' }));
    documented(post, await api(t).post(base).set(c.amy.auth).send({ text: '赌博' }));
    const later = await publish(t, c.teacher, {
      title: '以后',
      audience: { groups: [c.groupId] },
      publishAt: clock.now() + 86_400_000,
    });
    documented(
      post,
      await api(t).post(`/api/notices/${later.id}/comments`).set(c.teacher.auth).send({ text: '好' }),
    );
    env.sandbox.faults.secCheckBusy = true;
    documented(post, await api(t).post(base).set(c.ben.auth).send({ text: '好的' }));
    env.sandbox.faults.secCheckBusy = false;

    const held = await comment(t, c.ben, noticeId, { text: '代购' });
    const question = await comment(t, c.ben, noticeId, { text: '请问', private: true });
    await reply(t, c.teacher, noticeId, question.id, '你好');
    documented(list, await api(t).get(base).set(c.teacher.auth));
    documented(list, await api(t).get(base).set(c.amy.auth));
    documented(list, await api(t).get(`${base}?limit=0`).set(c.amy.auth));
    documented(list, await api(t).get(base));
    documented(list, await api(t).get(base).set(c.stranger.auth));

    documented(pending, await api(t).get(`${base}/pending`).set(c.assistant.auth));
    documented(pending, await api(t).get(`${base}/pending`).set(c.amy.auth));
    documented(pending, await api(t).get(`${base}/pending?cursor=x`).set(c.teacher.auth));
    documented(pending, await api(t).get(`${base}/pending`));
    documented(pending, await api(t).get(`${base}/pending`).set(c.stranger.auth));

    documented(
      answer,
      await api(t).post(`${base}/${question.id}/replies`).set(c.teacher.auth).send({ text: '好' }),
    );
    documented(answer, await api(t).post(`${base}/${question.id}/replies`).set(c.teacher.auth).send({}));
    documented(answer, await api(t).post(`${base}/${question.id}/replies`).send({ text: '好' }));
    documented(
      answer,
      await api(t).post(`${base}/${question.id}/replies`).set(c.amy.auth).send({ text: '好' }),
    );
    documented(
      answer,
      await api(t).post(`${base}/${question.id}/replies`).set(c.ben.auth).send({ text: '毒品' }),
    );

    documented(replies, await api(t).get(`${base}/${question.id}/replies`).set(c.ben.auth));
    documented(replies, await api(t).get(`${base}/${question.id}/replies?limit=99`).set(c.ben.auth));
    documented(replies, await api(t).get(`${base}/${question.id}/replies`));
    documented(replies, await api(t).get(`${base}/${question.id}/replies`).set(c.amy.auth));

    documented(approve, await api(t).post(`${base}/${held.id}/approve`).set(c.ben.auth).send({}));
    documented(approve, await api(t).post(`${base}/${held.id}/approve`).set(c.teacher.auth).send({}));
    documented(approve, await api(t).post(`${base}/${held.id}/approve`).set(c.teacher.auth).send({ x: 1 }));
    documented(approve, await api(t).post(`${base}/${held.id}/approve`).send({}));
    documented(approve, await api(t).post(`${base}/4242/approve`).set(c.teacher.auth).send({}));

    documented(del, await api(t).delete(`${base}/${held.id}`).set(c.amy.auth));
    documented(del, await api(t).delete(`${base}/${held.id}`).set(c.assistant.auth));
    documented(del, await api(t).delete(`${base}/x`).set(c.assistant.auth));
    documented(del, await api(t).delete(`${base}/${held.id}`));
    documented(del, await api(t).delete(`${base}/${held.id}`).set(c.assistant.auth));

    // the rate limit: ben writes until it answers 429 (at most 11 a minute, whatever he wrote before)
    let last = await api(t).post(base).set(c.ben.auth).send({ text: '第0条' });
    for (let i = 1; i <= 22 && last.status !== 429; i++) {
      last = await api(t)
        .post(base)
        .set(c.ben.auth)
        .send({ text: `第${i}条` });
    }
    documented(post, last);

    expect(Object.fromEntries([...exercised].map(([r, s]) => [r, [...s].sort()]))).toEqual({
      [post]: [201, 400, 401, 404, 409, 422, 429, 503],
      [list]: [200, 400, 401, 404],
      [pending]: [200, 400, 401, 403, 404],
      [answer]: [201, 400, 401, 404, 422],
      [replies]: [200, 400, 401, 404],
      [approve]: [200, 400, 401, 403, 404],
      [del]: [200, 400, 401, 403, 404],
    });
  });
});
