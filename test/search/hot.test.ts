import { TestClock, useSandbox, type TestInstance } from '../support/harness';
import { api, group, join, person, publish, QUICK, settled, type Person } from '../notices/notice-helpers';
import { search } from './search-helpers';

const lab = useSandbox();
const DAY = 86_400_000;

describe('GET /api/notices?sort=hot', () => {
  const clock = new TestClock();
  let t: TestInstance;
  let teacher: Person;
  let readers: Person[];
  let A: { id: string; code: string };

  beforeAll(async () => {
    t = await lab.start({ tuning: QUICK, now: clock.now });
    teacher = await person(t, lab.sandbox, 'hot-teacher');
    readers = [await person(t, lab.sandbox, 'hot-r1'), await person(t, lab.sandbox, 'hot-r2')];
    A = await group(t, teacher, '四班');
    for (const r of readers) await join(t, r, A.code);
  });

  async function hot(who: Person, query: Record<string, string> = {}): Promise<[string, number | null][]> {
    const page = await search(t, who, { sort: 'hot', limit: '50', ...query });
    return page.items.map((i) => [i.title, i.hot]);
  }

  it('ranks by reads, confirms and comments of the last 7 days, ties newest first', async () => {
    const made: Record<string, string> = {};
    for (const title of ['运动会', '家长会', '春游']) {
      const n = await publish(t, teacher, {
        title: `${title}通知`,
        requireConfirm: true,
        audience: { groups: [A.id] },
      });
      made[title] = n.id;
      await settled(t, teacher, n.id);
    }
    // Nothing happened yet: newest first.
    expect(await hot(teacher, { q: '通知' })).toEqual([
      ['春游通知', 0],
      ['家长会通知', 0],
      ['运动会通知', 0],
    ]);

    // Two reads of 运动会 (through the API), one confirm of 家长会 (a read and a confirm: 1 + 2).
    for (const r of readers) {
      expect((await api(t).post(`/api/notices/${made['运动会']}/read`).set(r.auth).send({})).status).toBe(
        200,
      );
    }
    // Reading twice counts once.
    expect(
      (await api(t).post(`/api/notices/${made['运动会']}/read`).set(readers[0]!.auth).send({})).status,
    ).toBe(200);
    expect(
      (await api(t).post(`/api/notices/${made['家长会']}/confirm`).set(readers[0]!.auth).send({})).status,
    ).toBe(200);
    expect(await hot(readers[1]!, { q: '通知' })).toEqual([
      ['家长会通知', 3],
      ['运动会通知', 2],
      ['春游通知', 0],
    ]);

    // A comment weighs 3; one from 8 days ago is outside the window, one from 6 days ago inside.
    const now = clock.now();
    await t.instance.noticeActivity.record(made['春游']!, 'comment', now - 8 * DAY);
    await t.instance.noticeActivity.record(made['春游']!, 'comment', now - 8 * DAY);
    await t.instance.noticeActivity.record(made['春游']!, 'comment', now);
    await t.instance.noticeActivity.record(made['春游']!, 'comment', now - 6 * DAY);
    expect(await hot(teacher)).toEqual([
      ['春游通知', 6],
      ['家长会通知', 3],
      ['运动会通知', 2],
    ]);

    // Paging: the cursor counts the hits before; every notice once.
    const first = await search(t, teacher, { sort: 'hot', limit: '2' });
    expect(first.items.map((i) => i.title)).toEqual(['春游通知', '家长会通知']);
    expect(first.nextCursor).toBe('2');
    const second = await search(t, teacher, { sort: 'hot', limit: '2', cursor: first.nextCursor ?? '' });
    expect(second.items.map((i) => i.title)).toEqual(['运动会通知']);
    expect(second.nextCursor).toBeNull();

    // Seven days on, today's comment and the reads are outside the window too: only age orders them.
    clock.advance(7 * DAY);
    expect(await hot(teacher)).toEqual([
      ['春游通知', 0],
      ['家长会通知', 0],
      ['运动会通知', 0],
    ]);
  });
});
