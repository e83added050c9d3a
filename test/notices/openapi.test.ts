import type request from 'supertest';
import { listRoutes, routeName } from '../docs/routes';
import { holdToDocument, openapiDoc } from '../docs/openapi-doc';
import { useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data } from '../support/api-types';
import type { NoticeView } from '../../src/http/presenters/notice';
import { api, group, join, person, publish, QUICK, settled } from './notice-helpers';

/**
 * Every notice, inbox and preferences operation of docs/openapi.yaml, called for real: each
 * answer's status is listed for the operation and its body conforms to the documented schema
 * (test/docs/openapi.test.ts holds the rest of the API to the same rule).
 */
const exercised = new Set<string>();
const NOTICE_OPERATIONS = [
  'POST /api/notices',
  'GET /api/notices/{id}',
  'PATCH /api/notices/{id}',
  'PUT /api/notices/{id}',
  'DELETE /api/notices/{id}',
  'GET /api/notices/{id}/stats',
  'GET /api/notices/{id}/recipients',
  'POST /api/notices/{id}/remind',
  'POST /api/notices/{id}/read',
  'POST /api/notices/{id}/confirm',
  'GET /api/inbox',
  'GET /api/inbox/unread-count',
  'GET /api/preferences',
  'PUT /api/preferences',
];

function expectDocumented(route: string, res: request.Response): void {
  exercised.add(route);
  const [method = '', docPath = ''] = route.split(' ');
  holdToDocument(method, docPath, res);
}

const lab = useSandbox();
let t: TestInstance;

beforeAll(async () => {
  t = await lab.start({ tuning: QUICK });
});

describe('the notice operations of docs/openapi.yaml', () => {
  it('are the notice routes the app serves, all documented', () => {
    const served = new Set(listRoutes(t.instance.app).map(routeName));
    const documented = new Set(
      Object.entries(openapiDoc.paths).flatMap(([p, item]) =>
        Object.keys(item)
          .filter((m) => m !== 'parameters')
          .map((m) => `${m.toUpperCase()} ${p}`),
      ),
    );
    expect(NOTICE_OPERATIONS.filter((op) => !served.has(op))).toEqual([]);
    expect(NOTICE_OPERATIONS.filter((op) => !documented.has(op))).toEqual([]);
    // Held to the document by their own tests: comments (test/comments/openapi.test.ts), search
    // (test/search/), a notice's progress series (test/console/notice-progress.test.ts).
    const elsewhere = new Set(['GET /api/notices', 'GET /api/notices/{id}/progress']);
    const mine = [...served].filter(
      (r) =>
        /^\w+ \/api\/(notices|inbox|preferences)/.test(r) && !r.includes('/comments') && !elsewhere.has(r),
    );
    expect(mine.filter((r) => !NOTICE_OPERATIONS.includes(r))).toEqual([]);
  });

  it('answer as documented, successes and failures', async () => {
    const teacher = await person(t, lab.sandbox, 'oa-teacher');
    const student = await person(t, lab.sandbox, 'oa-student');
    const stranger = await person(t, lab.sandbox, 'oa-stranger');
    const { id: groupId, code } = await group(t, teacher, '一班');
    await join(t, student, code);
    const a = () => api(t);

    const created = await a()
      .post('/api/notices')
      .set(teacher.auth)
      .send({ title: '开会', category: '通知', requireConfirm: true, audience: { groups: [groupId] } });
    expectDocumented('POST /api/notices', created);
    const id = data<NoticeView>(created).id;
    expectDocumented(
      'POST /api/notices',
      await a().post('/api/notices').set(teacher.auth).send({ title: '' }),
    );
    expectDocumented('POST /api/notices', await a().post('/api/notices').send({}));
    expectDocumented(
      'POST /api/notices',
      await a()
        .post('/api/notices')
        .set(student.auth)
        .send({ title: '开会', category: '通知', audience: { groups: [groupId] } }),
    );
    await settled(t, teacher, id);

    expectDocumented('GET /api/notices/{id}', await a().get(`/api/notices/${id}`).set(student.auth));
    expectDocumented('GET /api/notices/{id}', await a().get(`/api/notices/${id}`).set(teacher.auth));
    expectDocumented('GET /api/notices/{id}', await a().get(`/api/notices/${id}`).set(stranger.auth));
    expectDocumented(
      'GET /api/notices/{id}/stats',
      await a().get(`/api/notices/${id}/stats`).set(teacher.auth),
    );
    expectDocumented(
      'GET /api/notices/{id}/stats',
      await a().get(`/api/notices/${id}/stats`).set(student.auth),
    );
    const listing = await a().get(`/api/notices/${id}/recipients?state=unread`).set(teacher.auth);
    expectDocumented('GET /api/notices/{id}/recipients', listing);
    expectDocumented(
      'GET /api/notices/{id}/recipients',
      await a().get(`/api/notices/${id}/recipients?state=sleeping`).set(teacher.auth),
    );
    expectDocumented(
      'POST /api/notices/{id}/remind',
      await a().post(`/api/notices/${id}/remind`).set(teacher.auth),
    );
    expectDocumented(
      'POST /api/notices/{id}/remind',
      await a().post(`/api/notices/${id}/remind`).set(teacher.auth),
    );
    expectDocumented('GET /api/inbox', await a().get('/api/inbox').set(student.auth));
    expectDocumented('GET /api/inbox', await a().get('/api/inbox?limit=0').set(student.auth));
    expectDocumented(
      'GET /api/inbox/unread-count',
      await a().get('/api/inbox/unread-count').set(student.auth),
    );
    expectDocumented('GET /api/inbox/unread-count', await a().get('/api/inbox/unread-count'));
    expectDocumented(
      'POST /api/notices/{id}/read',
      await a().post(`/api/notices/${id}/read`).set(student.auth),
    );
    expectDocumented(
      'POST /api/notices/{id}/read',
      await a().post(`/api/notices/${id}/read`).set(teacher.auth),
    );
    expectDocumented(
      'POST /api/notices/{id}/confirm',
      await a().post(`/api/notices/${id}/confirm`).set(student.auth),
    );
    expectDocumented(
      'PATCH /api/notices/{id}',
      await a().patch(`/api/notices/${id}`).set(teacher.auth).send({ title: '改' }),
    );

    const later = await publish(t, teacher, {
      title: '下周',
      audience: { groups: [groupId] },
      publishAt: Date.now() + 3_600_000,
    });
    expectDocumented(
      'PATCH /api/notices/{id}',
      await a().patch(`/api/notices/${later.id}`).set(teacher.auth).send({ body: '改期' }),
    );
    expectDocumented(
      'PUT /api/notices/{id}',
      await a().put(`/api/notices/${later.id}`).set(teacher.auth).send({ urgency: 'urgent' }),
    );
    expectDocumented(
      'PUT /api/notices/{id}',
      await a().put(`/api/notices/${later.id}`).set(teacher.auth).send({}),
    );
    expectDocumented(
      'DELETE /api/notices/{id}',
      await a().delete(`/api/notices/${later.id}`).set(teacher.auth),
    );
    expectDocumented('DELETE /api/notices/{id}', await a().delete(`/api/notices/${id}`).set(student.auth));
    const retracted = await a().delete(`/api/notices/${id}`).set(teacher.auth);
    expect(data<NoticeView>(retracted).status).toBe('retracted');
    expectDocumented('DELETE /api/notices/{id}', retracted);
    await waitFor(async () => (await t.instance.notices.access(teacher.openid, id)).notice.job === null);
    expectDocumented(
      'POST /api/notices/{id}/confirm',
      await a().post(`/api/notices/${id}/confirm`).set(student.auth),
    );

    expectDocumented('GET /api/preferences', await a().get('/api/preferences').set(student.auth));
    expectDocumented(
      'PUT /api/preferences',
      await a()
        .put('/api/preferences')
        .set(student.auth)
        .send({ categories: { 作业: false } }),
    );
    expectDocumented(
      'PUT /api/preferences',
      await a()
        .put('/api/preferences')
        .set(student.auth)
        .send({ categories: { x: 1 } }),
    );

    expect(NOTICE_OPERATIONS.filter((op) => !exercised.has(op))).toEqual([]);
  });
});
