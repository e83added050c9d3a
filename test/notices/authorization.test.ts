import { useSandbox, type TestInstance } from '../support/harness';
import { errorBody } from '../support/api-types';
import { api, group, join, person, publish, QUICK, settled, type Person } from './notice-helpers';

const lab = useSandbox();

/** Every key of any notice (their hash tags), to show a refused create stored nothing. */
async function noticeKeys(t: TestInstance): Promise<string[]> {
  const found: string[] = [];
  for (const pattern of ['notice:*', 'notices:*', 'inbox:*', 'notification:*']) {
    for await (const batch of t.redis.scanIterator({ MATCH: `${t.config.redisPrefix}${pattern}` })) {
      found.push(...(batch as unknown as string[]));
    }
  }
  return found;
}

describe('who may publish and see a notice', () => {
  let t: TestInstance;
  let teacherA: Person;
  let teacherB: Person;
  let student: Person;
  let outsider: Person;
  let A: { id: string; code: string };
  let B: { id: string; code: string };

  beforeEach(async () => {
    t = await lab.start({ tuning: QUICK });
    teacherA = await person(t, lab.sandbox, 'teacher-a');
    teacherB = await person(t, lab.sandbox, 'teacher-b');
    student = await person(t, lab.sandbox, 'student');
    outsider = await person(t, lab.sandbox, 'outsider');
    A = await group(t, teacherA, '一班');
    B = await group(t, teacherB, '二班');
    await join(t, student, A.code);
    await join(t, student, B.code);
  });

  it('lets a manager of group A not address group B (403), alone or beside A, and stores nothing', async () => {
    for (const groups of [[B.id], [A.id, B.id]]) {
      const res = await api(t)
        .post('/api/notices')
        .set(teacherA.auth)
        .send({ title: '通知', category: '通知', audience: { groups } });
      expect(res.status).toBe(403);
      expect(errorBody(res)).toMatchObject({ errcode: 40350, errmsg: expect.stringContaining(B.id) });
    }
    expect(await noticeKeys(t)).toEqual([]);
    // Positive control: the same body to A alone is published.
    const notice = await publish(t, teacherA, { title: '通知', audience: { groups: [A.id] } });
    expect((await settled(t, teacherA, notice.id)).recipients).toBe(1);
  });

  it('lets a member not publish (403), list members (403) or read stats (403)', async () => {
    const refused = await api(t)
      .post('/api/notices')
      .set(student.auth)
      .send({ title: '通知', category: '通知', audience: { groups: [A.id] } });
    expect(refused.status).toBe(403);
    expect((await api(t).get(`/api/groups/${A.id}/members`).set(student.auth)).status).toBe(403);

    const notice = await publish(t, teacherA, { title: '通知', audience: { groups: [A.id] } });
    await settled(t, teacherA, notice.id);
    for (const [method, path] of [
      ['get', '/stats'],
      ['get', '/recipients'],
      ['post', '/remind'],
      ['patch', ''],
      ['delete', ''],
    ] as const) {
      const body = method === 'patch' ? { title: '改' } : {};
      const res = await api(t)[method](`/api/notices/${notice.id}${path}`).set(student.auth).send(body);
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }
    // What a recipient may do.
    expect((await api(t).get(`/api/notices/${notice.id}`).set(student.auth)).status).toBe(200);
  });

  it('shows a non-member neither the group nor the notice (404)', async () => {
    const notice = await publish(t, teacherA, { title: '通知', audience: { groups: [A.id] } });
    await settled(t, teacherA, notice.id);
    expect((await api(t).get(`/api/groups/${A.id}`).set(outsider.auth)).status).toBe(404);
    for (const [method, path] of [
      ['get', ''],
      ['get', '/stats'],
      ['get', '/recipients'],
      ['post', '/remind'],
      ['post', '/read'],
      ['delete', ''],
    ] as const) {
      const res = await api(t)[method](`/api/notices/${notice.id}${path}`).set(outsider.auth).send({});
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    // Neither does a manager of another group, nor a member who joined after it was published.
    expect((await api(t).get(`/api/notices/${notice.id}`).set(teacherB.auth)).status).toBe(404);
    const late = await person(t, lab.sandbox, 'late');
    await join(t, late, A.code);
    expect((await api(t).get(`/api/notices/${notice.id}`).set(late.auth)).status).toBe(404);
  });

  it('answers 401 without a session on every notice and inbox route', async () => {
    const routes = [
      ['post', '/api/notices'],
      ['get', '/api/notices/1'],
      ['patch', '/api/notices/1'],
      ['put', '/api/notices/1'],
      ['delete', '/api/notices/1'],
      ['get', '/api/notices/1/stats'],
      ['get', '/api/notices/1/recipients'],
      ['post', '/api/notices/1/remind'],
      ['post', '/api/notices/1/read'],
      ['post', '/api/notices/1/confirm'],
      ['get', '/api/inbox'],
      ['get', '/api/inbox/unread-count'],
    ] as const;
    for (const [method, path] of routes) {
      const res = await api(t)[method](path).send({});
      expect([method, path, res.status]).toEqual([method, path, 401]);
    }
  });
});
