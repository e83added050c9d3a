import { useSandbox, type TestInstance } from '../support/harness';
import { data, errorBody } from '../support/api-types';
import type { NoticeView } from '../../src/http/presenters/notice';
import { api, group, join, person, publish, pushesOf, QUICK, settled, type Person } from './notice-helpers';

const lab = useSandbox();

async function noticeKeys(t: TestInstance): Promise<string[]> {
  const found: string[] = [];
  for (const pattern of ['notice:*', 'notices:*', 'user:*:notices', 'notification:*']) {
    for await (const batch of t.redis.scanIterator({ MATCH: `${t.config.redisPrefix}${pattern}` })) {
      found.push(...(batch as unknown as string[]));
    }
  }
  return found;
}

describe('POST /api/notices', () => {
  let t: TestInstance;
  let teacher: Person;
  let A: { id: string; code: string };
  let B: { id: string; code: string };
  let memberInA: string;

  beforeEach(async () => {
    t = await lab.start({ tuning: QUICK });
    teacher = await person(t, lab.sandbox, 'c-teacher');
    A = await group(t, teacher, '一班');
    B = await group(t, teacher, '二班');
    memberInA = await join(t, await person(t, lab.sandbox, 'c-student'), A.code);
    await join(t, await person(t, lab.sandbox, 'c-other'), B.code);
  });

  it('refuses a notice with 400 naming every problem at once, and stores nothing', async () => {
    const res = await api(t)
      .post('/api/notices')
      .set(teacher.auth)
      .send({
        title: '关于二〇二六年寒假放假安排及返校时间的通知', // 21 characters: more than the push's thing1 holds
        category: '八卦',
        urgency: 'very',
        audience: { groups: [A.id, B.id], members: ['99', `${A.id}:98`] },
        attachments: [{ name: '日程表', url: 'http://example.com/a.pdf' }],
        publishAt: '2020-01-01T08:00:00+08:00',
      });
    expect(res.status).toBe(400);
    const paths = (errorBody(res).details ?? []).map((d) => d.path).sort();
    expect(paths).toEqual([
      'attachments.0.url',
      'audience.members.0', // a bare memberId with two groups: which group's?
      'audience.members.1', // no such member in A
      'category',
      'publishAt',
      'urgency',
    ]);
    expect(await noticeKeys(t)).toEqual([]);

    // With a category, what the push makes of the title is checked too (its thing1 holds 20).
    const rules = await api(t)
      .post('/api/notices')
      .set(teacher.auth)
      .send({
        title: '关于二〇二六年寒假放假安排及返校时间的通知',
        category: '通知',
        audience: { groups: [A.id, B.id], members: ['99', `${A.id}:98`] },
        publishAt: '2020-01-01T08:00:00+08:00',
      });
    expect(rules.status).toBe(400);
    const details = errorBody(rules).details ?? [];
    expect(details.map((d) => d.path).sort()).toEqual([
      'audience.members.0',
      'audience.members.1',
      'publishAt',
      'title',
    ]);
    expect(details.find((d) => d.path === 'title')?.message).toMatch(/thing1.*at most 20 characters/);
    expect(await noticeKeys(t)).toEqual([]);
  });

  it('publishes to tags and single members: the union, deduplicated', async () => {
    const tagged = await person(t, lab.sandbox, 'c-cadre');
    const cadre = await join(t, tagged, A.code);
    await api(t)
      .patch(`/api/groups/${A.id}/members/${cadre}`)
      .set(teacher.auth)
      .send({ tags: ['班干部'] })
      .expect(200);
    await join(t, await person(t, lab.sandbox, 'c-plain'), A.code); // neither tagged nor named

    const notice = await publish(t, teacher, {
      title: '班干部会议',
      audience: { groups: [A.id], tags: ['班干部'], members: [memberInA, cadre] },
    });
    const s = await settled(t, teacher, notice.id);
    expect(s.recipients).toBe(2);
    expect(
      pushesOf(lab.sandbox, notice.id)
        .map((m) => m.touser)
        .sort(),
    ).toEqual([lab.sandbox.openIdFor('c-cadre'), lab.sandbox.openIdFor('c-student')].sort());
  });

  it('answers a create replayed with its Idempotency-Key with the first notice, published once; another body is a 422', async () => {
    const body = { title: '家长会', category: '通知', audience: { groups: [A.id] } };
    const first = await api(t)
      .post('/api/notices')
      .set(teacher.auth)
      .set('Idempotency-Key', 'n-1')
      .send(body);
    const again = await api(t)
      .post('/api/notices')
      .set(teacher.auth)
      .set('Idempotency-Key', 'n-1')
      .send(body);
    expect(first.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(data<NoticeView>(again).id).toBe(data<NoticeView>(first).id);
    const other = await api(t)
      .post('/api/notices')
      .set(teacher.auth)
      .set('Idempotency-Key', 'n-1')
      .send({ ...body, title: '另一个' });
    expect(other.status).toBe(422);
    await settled(t, teacher, data<NoticeView>(first).id);
    expect(pushesOf(lab.sandbox, data<NoticeView>(first).id)).toHaveLength(1);
  });

  it('carries attachments, and answers at once with the notice publishing', async () => {
    const notice = await publish(t, teacher, {
      title: '作业',
      category: '作业',
      body: '见附件',
      attachments: [{ name: '习题.pdf', url: 'https://cdn.example.com/hw.pdf' }],
      audience: { groups: [A.id] },
    });
    expect(notice).toMatchObject({
      status: 'publishing',
      category: '作业',
      attachments: [{ name: '习题.pdf', url: 'https://cdn.example.com/hw.pdf' }],
      groups: [{ id: A.id, name: '一班' }],
      manage: { audience: { groups: [A.id], tags: [], members: [] } },
    });
    expect((await settled(t, teacher, notice.id)).recipients).toBe(1);
  });
});
