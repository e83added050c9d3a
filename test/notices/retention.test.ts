import type { NoticeRetentionRun } from '../../src/services/notice-retention';
import { inboxShardOf } from '../../src/store/inbox-store';
import { TestClock, uniquePrefix, useSandbox, type TestInstance } from '../support/harness';
import { api, group, inbox, join, person, publish, QUICK, settled, type Person } from './notice-helpers';

// RETENTION_DAYS for notices (src/services/notice-retention.ts), by the test clock: a notice
// published more than RETENTION_DAYS ago loses the entries of those who read it or left its groups;
// an unread one of a member stays until read; the notice goes with its last recipient. A notice
// published within RETENTION_DAYS is the positive control of the same runs: nothing of it goes.
const DAY = 86_400_000;
const lab = useSandbox();
const clock = new TestClock();
let t: TestInstance;
let teacher: Person;
const people: Record<string, Person> = {};

beforeAll(async () => {
  t = await lab.start({
    now: clock.now,
    config: { redisPrefix: uniquePrefix(), retentionDays: 30 },
    tuning: QUICK,
  });
  teacher = await person(t, lab.sandbox, 'r-teacher');
  for (const name of ['reader', 'unread', 'leaver', 'confirmer'])
    people[name] = await person(t, lab.sandbox, `r-${name}`);
});

/** Runs retention until a whole pass over the notice ids is done (the cursor is shared and wraps). */
async function pass(): Promise<NoticeRetentionRun> {
  const total: NoticeRetentionRun = { examined: 0, entries: 0, purged: 0 };
  const newest = Number(await t.redis.get(t.instance.keys.noticeSeq()));
  while (total.examined < newest) {
    const run = await t.instance.noticeRetention.run();
    total.examined += run.examined;
    total.entries += run.entries;
    total.purged += run.purged;
  }
  return total;
}

const inboxIds = async (who: Person) => (await inbox(t, who)).items.map((i) => i.id);
const read = (who: Person, id: string) => api(t).post(`/api/notices/${id}/read`).set(who.auth).expect(200);

/** Every key of a notice that exists now, by its name after the notice's tag. */
async function keysOf(id: string): Promise<string[]> {
  const k = t.instance.keys;
  const named: [string, string][] = [
    ['notice', k.notice(id)],
    ['recipients', k.noticeRecipients(id)],
    ['order', k.noticeOrder(id)],
    ['read', k.noticeReads(id)],
    ['confirmed', k.noticeConfirms(id)],
  ];
  const exists = await Promise.all(named.map(([, key]) => t.redis.exists(key)));
  return named.filter((_, i) => exists[i] === 1).map(([name]) => name);
}

/** Whether the notice's comments and its search document in the group still exist. */
async function companionKeys(
  id: string,
  groupId: string,
): Promise<{ comments: boolean; searchDoc: boolean }> {
  const k = t.instance.keys;
  const comments: string[] = [];
  for await (const batch of t.redis.scanIterator({
    MATCH: `${k.commentSeq(id).replace(/comments:seq$/, '')}comment*`,
    COUNT: 1000,
  }))
    comments.push(...batch);
  return { comments: comments.length > 0, searchDoc: (await t.redis.exists(k.searchDoc(groupId, id))) === 1 };
}

describe('notice retention (RETENTION_DAYS = 30)', () => {
  it('purges an old notice entry by entry, keeps it for an unread member, and keeps a young one whole', async () => {
    const g = await group(t, teacher, '三年二班');
    const memberIds: Record<string, string> = {};
    for (const [name, who] of Object.entries(people)) memberIds[name] = await join(t, who, g.code);

    const old = await publish(t, teacher, {
      title: '旧通知',
      audience: { groups: [g.id] },
      requireConfirm: true,
    });
    await settled(t, teacher, old.id);
    // What other features keep about it goes with it: a comment, its search postings.
    await api(t)
      .post(`/api/notices/${old.id}/comments`)
      .set(people.reader!.auth)
      .send({ text: '收到' })
      .expect(201);
    await read(people.reader!, old.id);
    await api(t).post(`/api/notices/${old.id}/confirm`).set(people.confirmer!.auth).expect(200);
    await api(t)
      .delete(`/api/groups/${g.id}/members/${memberIds.leaver}`)
      .set(people.leaver!.auth)
      .expect((res) => expect([200, 204]).toContain(res.status));
    const cancelled = await publish(t, teacher, {
      title: '取消的通知',
      audience: { groups: [g.id] },
      publishAt: clock.now() + DAY,
    });
    await api(t).delete(`/api/notices/${cancelled.id}`).set(teacher.auth).expect(200);

    clock.advance(29 * DAY);
    const young = await publish(t, teacher, { title: '新通知', audience: { groups: [g.id] } });
    await settled(t, teacher, young.id);
    await read(people.reader!, young.id);
    clock.advance(2 * DAY); // the old one and the cancelled one 31 days old, the young one 2 days

    // Nothing has gone before the pass: the control that the keys asserted absent below existed.
    expect(await keysOf(old.id)).toEqual(['notice', 'recipients', 'order', 'read', 'confirmed']);
    expect(await companionKeys(old.id, g.id)).toEqual({ comments: true, searchDoc: true });
    expect(await inboxIds(people.leaver!)).toEqual([old.id]); // left before the young one
    const first = await pass();
    expect(first).toMatchObject({ entries: 3, purged: 1 }); // reader, confirmer, leaver; the cancelled notice

    // Read, confirmed, left: the old entry is gone from their inboxes; the unread member keeps it.
    expect(await inboxIds(people.reader!)).toEqual([young.id]);
    expect(await inboxIds(people.confirmer!)).toEqual([young.id]);
    expect(await inboxIds(people.leaver!)).toEqual([]);
    expect(await inboxIds(people.unread!)).toEqual([young.id, old.id]);
    // The old notice keeps only that recipient's record; no receipt is left (the key goes with its last member).
    expect(await keysOf(old.id)).toEqual(['notice', 'recipients', 'order']);
    expect(await t.redis.hKeys(t.instance.keys.noticeRecipients(old.id))).toEqual([people.unread!.openid]);
    // The young notice: whole.
    expect(await keysOf(young.id)).toEqual(['notice', 'recipients', 'order', 'read']);
    expect(await t.redis.hLen(t.instance.keys.noticeRecipients(young.id))).toBe(3);
    // The cancelled one: gone, with its author's index entry.
    expect(await keysOf(cancelled.id)).toEqual([]);
    const authored = await t.redis.zRange(t.instance.keys.userNotices(teacher.openid), 0, -1);
    expect(authored.sort()).toEqual([old.id, young.id].sort());

    // Once the last recipient read it, the next pass takes the rest of the old notice.
    await read(people.unread!, old.id);
    expect(await pass()).toMatchObject({ entries: 1, purged: 1 });
    expect(await inboxIds(people.unread!)).toEqual([young.id]);
    expect(await keysOf(old.id)).toEqual([]);
    expect(await companionKeys(old.id, g.id)).toEqual({ comments: false, searchDoc: false });
    expect(await t.redis.zRange(t.instance.keys.userNotices(teacher.openid), 0, -1)).toEqual([young.id]);
    expect(await t.redis.zScore(t.instance.keys.noticesDue(), old.id)).toBeNull();
    await api(t).get(`/api/notices/${old.id}`).set(teacher.auth).expect(404);
    const shard = inboxShardOf(people.unread!.openid);
    expect(await t.redis.zCard(t.instance.keys.inboxUnread(shard, people.unread!.openid))).toBe(1);

    // Idempotent: another pass changes nothing, and the young notice is still whole.
    expect(await pass()).toMatchObject({ entries: 0, purged: 0 });
    expect(await keysOf(young.id)).toEqual(['notice', 'recipients', 'order', 'read']);
    await api(t).get(`/api/notices/${young.id}`).set(teacher.auth).expect(200);
  });
});
