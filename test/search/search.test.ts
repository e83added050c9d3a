import { errorBody } from '../support/api-types';
import { useSandbox, waitFor, type TestInstance } from '../support/harness';
import { holdToDocument } from '../docs/openapi-doc';
import { api, group, join, person, publish, QUICK, settled, type Person } from '../notices/notice-helpers';
import { search, titles } from './search-helpers';

const lab = useSandbox();

describe('GET /api/notices (search)', () => {
  let t: TestInstance;
  let teacher: Person;
  let other: Person;
  let student: Person;
  let A: { id: string; code: string };
  let B: { id: string; code: string };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await lab.start({ tuning: QUICK });
    teacher = await person(t, lab.sandbox, 'search-teacher');
    other = await person(t, lab.sandbox, 'search-other-teacher');
    student = await person(t, lab.sandbox, 'search-student');
    A = await group(t, teacher, '一班');
    B = await group(t, other, '二班');
    await join(t, student, A.code);
    const notices: [string, Record<string, unknown>, Person, string][] = [
      [
        'exam',
        { title: '期末考试安排', body: '请准时到场。', category: '考试', urgency: 'important' },
        teacher,
        A.id,
      ],
      [
        'sports',
        { title: 'Sports Day', body: 'Bring your EXAM card and water.', category: '活动' },
        teacher,
        A.id,
      ],
      ['parents', { title: '家长会', body: '讨论期末复习计划', urgency: 'urgent' }, teacher, A.id],
      ['homework', { title: '数学作业', body: '第三章练习', category: '作业' }, teacher, A.id],
      ['elsewhere', { title: '期末考试安排（二班）', body: '二班的安排', category: '考试' }, other, B.id],
    ];
    for (const [key, body, who, groupId] of notices) {
      const notice = await publish(t, who, { ...body, audience: { groups: [groupId] } });
      ids[key] = notice.id;
      await settled(t, who, notice.id);
    }
  });

  it('finds 期末 inside 期末考试安排 (title) and 期末复习 (body), newest first, not the notice of a group the caller is not in', async () => {
    expect(await titles(t, student, { q: '期末' })).toEqual(['家长会', '期末考试安排']);
    // That group's own teacher finds theirs: it is indexed, only not the student's to see.
    expect(await titles(t, other, { q: '期末' })).toEqual(['期末考试安排（二班）']);
    expect(await titles(t, student, { q: '考试安排' })).toEqual(['期末考试安排']);
    expect(await titles(t, student, { q: '末' })).toEqual(['家长会', '期末考试安排']);
    expect(await titles(t, student, { q: '期中' })).toEqual([]);
  });

  it('matches Latin case-insensitively, in bodies too, full-width letters as half-width', async () => {
    expect(await titles(t, student, { q: 'sports' })).toEqual(['Sports Day']);
    expect(await titles(t, student, { q: 'exam card' })).toEqual(['Sports Day']);
    expect(await titles(t, student, { q: 'ＥＸＡＭ' })).toEqual(['Sports Day']);
    // Pairs give candidates, the substring decides: "card water" holds every pair's characters but is not in the text.
    expect(await titles(t, student, { q: 'card water' })).toEqual([]);
  });

  it('filters by category, urgency and group, with or without q', async () => {
    expect(await titles(t, student, { category: '考试' })).toEqual(['期末考试安排']);
    expect(await titles(t, student, { urgency: 'urgent' })).toEqual(['家长会']);
    expect(await titles(t, student, { q: '期末', urgency: 'important' })).toEqual(['期末考试安排']);
    expect(await titles(t, student, { group: A.id })).toEqual([
      '数学作业',
      '家长会',
      'Sports Day',
      '期末考试安排',
    ]);
    expect(await titles(t, student, { group: B.id })).toEqual([]);
    expect(await titles(t, student, {})).toEqual(['数学作业', '家长会', 'Sports Day', '期末考试安排']);
    const hit = (await search(t, student, { category: '作业' })).items[0];
    expect(hit).toMatchObject({
      id: ids.homework,
      excerpt: '第三章练习',
      groups: [{ id: A.id, name: '一班' }],
      status: 'published',
      page: `pages/notice/detail?id=${ids.homework}`,
      hot: null,
    });
  });

  it('pages with nextCursor: every notice once, in order, then null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page = await search(t, student, { limit: '1', ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((i) => i.title));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual(['数学作业', '家长会', 'Sports Day', '期末考试安排']);
  });

  it('finds an edited notice by its new title, not its old one', async () => {
    const publishAt = new Date(Date.now() + 3600_000).toISOString();
    const notice = await publish(t, teacher, { title: '春游通知', publishAt, audience: { groups: [A.id] } });
    expect(await titles(t, teacher, { q: '春游' })).toEqual(['春游通知']);
    // Scheduled: its managers find it, its recipients not yet.
    expect(await titles(t, student, { q: '春游' })).toEqual([]);
    const res = await api(t).patch(`/api/notices/${notice.id}`).set(teacher.auth).send({ title: '秋游安排' });
    expect(res.status).toBe(200);
    expect(await titles(t, teacher, { q: '春游' })).toEqual([]);
    expect(await titles(t, teacher, { q: '秋游' })).toEqual(['秋游安排']);
    const cancelled = await api(t).delete(`/api/notices/${notice.id}`).set(teacher.auth);
    expect(cancelled.status).toBe(200);
    expect(await titles(t, teacher, { q: '秋游' })).toEqual([]);
  });

  it('does not find a retracted notice', async () => {
    const notice = await publish(t, teacher, {
      title: '停课通知',
      body: '期末前停课一天',
      audience: { groups: [A.id] },
    });
    await settled(t, teacher, notice.id);
    expect(await titles(t, student, { q: '期末' })).toEqual(['停课通知', '家长会', '期末考试安排']);
    expect((await api(t).delete(`/api/notices/${notice.id}`).set(teacher.auth)).status).toBe(200);
    expect(await titles(t, student, { q: '期末' })).toEqual(['家长会', '期末考试安排']);
    expect(await titles(t, teacher, { q: '停课' })).toEqual([]);
    // What the index keeps of it is gone with it (no key names the notice any more).
    await waitFor(async () => {
      const left: string[] = [];
      for await (const batch of t.redis.scanIterator({
        MATCH: `${t.config.redisPrefix}search:*:doc:${notice.id}`,
      }))
        left.push(...(batch as unknown as string[]));
      return left.length === 0;
    });
  });

  it('leaves no search key of a deleted group', async () => {
    const C = await group(t, teacher, '六班');
    const notice = await publish(t, teacher, {
      title: '临时通知',
      body: '期末',
      audience: { groups: [C.id] },
    });
    await settled(t, teacher, notice.id);
    const keysOf = async () => {
      const found: string[] = [];
      for await (const batch of t.redis.scanIterator({ MATCH: `${t.config.redisPrefix}search:{g${C.id}}:*` }))
        found.push(...(batch as unknown as string[]));
      return found;
    };
    expect((await keysOf()).length).toBeGreaterThan(5); // its terms, its doc
    expect((await api(t).delete(`/api/groups/${C.id}`).set(teacher.auth)).status).toBe(200);
    expect(await keysOf()).toEqual([]);
  });

  it('answers 401 without a session', async () => {
    const res = await api(t).get('/api/notices').query({ q: '期末' });
    holdToDocument('GET', '/api/notices', res);
    expect(res.status).toBe(401);
  });

  it('answers 400 naming every bad field', async () => {
    const res = await api(t)
      .get('/api/notices')
      .query({ q: '期'.repeat(51), urgency: 'loud', sort: 'best', group: 'x', limit: '0' })
      .set(student.auth);
    holdToDocument('GET', '/api/notices', res);
    expect(res.status).toBe(400);
    expect((errorBody(res).details ?? []).map((d) => d.path).sort()).toEqual([
      'group',
      'limit',
      'q',
      'sort',
      'urgency',
    ]);
    for (const query of [
      { q: '   ' },
      { category: '不存在' },
      { sort: 'hot', cursor: '0000000000001:000000000000001' },
      { cursor: '3' },
    ]) {
      const refused = await api(t).get('/api/notices').query(query).set(student.auth);
      expect([query, refused.status]).toEqual([query, 400]);
    }
  });
});
