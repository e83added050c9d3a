import type { CheckinPageView } from '../../src/http/presenters/checkin';
import { TestClock, useSandbox, type TestInstance } from '../support/harness';
import { call, groupWith, openCheckin, people, shownCode, type Person } from './checkin-helpers';

/** GET /api/groups/:id/checkins: what a group's managers and members see of its check-ins. */
const env = useSandbox();
let clock: TestClock;
let t: TestInstance;
let owner: Person;
let amy: Person;
let stranger: Person;
let groupId: string;

beforeEach(async () => {
  clock = new TestClock();
  t = await env.start({ now: clock.now });
  const openIdFor = (name: string) => env.sandbox.openIdFor(name);
  [owner, amy, stranger] = await people(t, ['owner', 'amy', 'stranger'] as const, openIdFor);
  ({ groupId } = await groupWith(t, owner, [{ who: amy, displayName: '艾米' }]));
});

const list = (who: Person | null, query = '') => {
  const req = call(t).get(`/api/groups/${groupId}/checkins${query}`);
  return who ? req.set(who.auth) : req;
};
const page = async (who: Person, query = ''): Promise<CheckinPageView> => {
  const res = await list(who, query);
  expect(res.status).toBe(200);
  return res.body.data as CheckinPageView;
};

describe('GET /api/groups/:id/checkins', () => {
  it('lists every check-in to managers, newest first, with live counts; members only those not ended', async () => {
    const now = clock.now();
    const ended = await openCheckin(t, owner, groupId, { title: '早会', endsAt: now + 60_000 });
    const open = await openCheckin(t, owner, groupId, { title: '班会' });
    const later = await openCheckin(t, owner, groupId, {
      title: '家长会',
      startsAt: now + 3_600_000,
      endsAt: now + 7_200_000,
    });
    const { code } = await shownCode(t, owner, open.id);
    await call(t).post(`/api/checkins/${open.id}/sign`).set(amy.auth).send({ code }).expect(200);
    clock.advance(120_000); // 早会 has ended

    const managers = await page(owner);
    expect(managers.items.map((c) => [c.id, c.title, c.state])).toEqual([
      [later.id, '家长会', 'upcoming'],
      [open.id, '班会', 'open'],
      [ended.id, '早会', 'ended'],
    ]);
    expect(managers.items.map((c) => c.counts)).toEqual([
      { onTime: 0, late: 0 },
      { onTime: 1, late: 0 },
      { onTime: 0, late: 0 },
    ]);
    expect(managers.nextCursor).toBeNull();

    const members = await page(amy);
    expect(members.items.map((c) => [c.id, c.state, c.me.signed, c.counts])).toEqual([
      [later.id, 'upcoming', false, null],
      [open.id, 'open', true, null],
    ]);
  });

  it('pages with cursor and limit until nextCursor is null', async () => {
    const ids: string[] = [];
    for (const title of ['一', '二', '三']) ids.push((await openCheckin(t, owner, groupId, { title })).id);
    const first = await page(owner, '?limit=2');
    expect(first.items.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).toBe(ids[1]);
    const second = await page(owner, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((c) => c.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
  });

  it('drops a check-in whose records expired from the list', async () => {
    const kept = await openCheckin(t, owner, groupId, { title: '留下' });
    const gone = await openCheckin(t, owner, groupId, { title: '过期' });
    await t.redis.del(t.instance.keys.checkin(gone.id)); // as RETENTION_DAYS does
    expect((await page(owner)).items.map((c) => c.id)).toEqual([kept.id]);
    expect(await t.redis.zRange(t.instance.keys.groupCheckins(groupId), 0, -1)).toEqual([kept.id]);
  });

  it('answers 404 to someone outside the group, 401 without a session, 400 naming each bad field', async () => {
    await openCheckin(t, owner, groupId);
    const outside = await list(stranger);
    expect(outside.status).toBe(404);
    expect((await list(null)).status).toBe(401);
    const bad = await list(owner, '?cursor=x&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['cursor', 'limit']);
    const badId = await call(t).get('/api/groups/x/checkins').set(owner.auth);
    expect(badId.status).toBe(400);
  });
});
