import { uniquePrefix, useSandbox, type TestInstance } from '../support/harness';
import { api, group, join, person, publish, QUICK, settled, type Person } from '../notices/notice-helpers';
import { titles } from './search-helpers';

const lab = useSandbox();

describe('the search index across instances', () => {
  let writer: TestInstance;
  let reader: TestInstance;
  let teacher: Person;
  let student: Person;

  beforeAll(async () => {
    const redisPrefix = uniquePrefix();
    writer = await lab.start({ config: { redisPrefix }, tuning: QUICK });
    reader = await lab.start({ config: { redisPrefix }, tuning: QUICK });
    teacher = await person(writer, lab.sandbox, 'two-teacher');
    student = await person(writer, lab.sandbox, 'two-student');
  });

  it('finds on one instance what was published, edited and retracted through the other', async () => {
    const A = await group(writer, teacher, '三班');
    await join(writer, student, A.code);
    const notice = await publish(writer, teacher, { title: '期末考试安排', audience: { groups: [A.id] } });
    await settled(writer, teacher, notice.id);
    expect(await titles(reader, student, { q: '期末' })).toEqual(['期末考试安排']);

    const later = new Date(Date.now() + 3600_000).toISOString();
    const scheduled = await publish(writer, teacher, {
      title: '运动会',
      publishAt: later,
      audience: { groups: [A.id] },
    });
    const res = await api(writer)
      .patch(`/api/notices/${scheduled.id}`)
      .set(teacher.auth)
      .send({ title: '艺术节' });
    expect(res.status).toBe(200);
    expect(await titles(reader, teacher, { q: '运动' })).toEqual([]);
    expect(await titles(reader, teacher, { q: '艺术' })).toEqual(['艺术节']);

    expect((await api(reader).delete(`/api/notices/${notice.id}`).set(teacher.auth)).status).toBe(200);
    expect(await titles(writer, student, { q: '期末' })).toEqual([]);
  });
});
