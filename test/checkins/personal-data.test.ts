import { TestClock, useSandbox, type TestInstance } from '../support/harness';
import {
  call,
  groupWith,
  openCheckin,
  people,
  secretOf,
  shownCode,
  wrongCodeAt,
  type Person,
} from './checkin-helpers';

/** A person's check-ins in GET /api/me/export and gone after DELETE /api/me (src/services/checkin-personal-data.ts). */
const env = useSandbox();
let clock: TestClock;
let t: TestInstance;
let owner: Person;
let amy: Person;
let ben: Person;

beforeEach(async () => {
  clock = new TestClock();
  t = await env.start({ now: clock.now });
  [owner, amy, ben] = await people(t, ['owner', 'amy', 'ben'] as const, (n) => env.sandbox.openIdFor(n));
});

const sign = (who: Person, id: string, code: string) =>
  call(t).post(`/api/checkins/${id}/sign`).set(who.auth).send({ code });

async function keysNaming(openid: string): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of t.redis.scanIterator({ MATCH: `${t.config.redisPrefix}*`, COUNT: 1000 })) {
    for (const key of batch as unknown as string[]) {
      const type = await t.redis.type(key);
      const text =
        type === 'hash'
          ? JSON.stringify(await t.redis.hGetAll(key))
          : type === 'zset'
            ? JSON.stringify(await t.redis.zRange(key, 0, -1))
            : '';
      if ((key.includes(openid) || text.includes(openid)) && key.includes('checkin')) found.push(key);
    }
  }
  return found.sort();
}

describe('check-ins as personal data', () => {
  it('exports the sign-ins and wrong codes of a person, and erases them, keeping others’ and the counts', async () => {
    const { groupId } = await groupWith(t, owner, [
      { who: amy, displayName: '艾米' },
      { who: ben, displayName: '小本' },
    ]);
    const first = await openCheckin(t, owner, groupId, { title: '周一班会' });
    const second = await openCheckin(t, owner, groupId, { title: '周二班会' });
    const secret = await secretOf(t, first.id);
    expect((await sign(amy, first.id, wrongCodeAt(secret, clock.now()))).status).toBe(400);
    expect((await sign(amy, first.id, (await shownCode(t, owner, first.id)).code)).status).toBe(200);
    clock.advance(1000);
    expect((await sign(amy, second.id, wrongCodeAt(await secretOf(t, second.id), clock.now()))).status).toBe(
      400,
    );
    expect((await sign(ben, first.id, (await shownCode(t, owner, first.id)).code)).status).toBe(200);

    const exported = await call(t).get('/api/me/export').set(amy.auth);
    expect(exported.status).toBe(200);
    expect(exported.body.data.checkins).toEqual([
      {
        checkinId: second.id,
        groupId,
        title: '周二班会',
        lastTriedAt: expect.any(String),
        sign: null,
        wrongCodesAt: [expect.any(String)],
      },
      {
        checkinId: first.id,
        groupId,
        title: '周一班会',
        lastTriedAt: expect.any(String),
        sign: {
          memberId: expect.stringMatching(/^\d+$/),
          status: 'on_time',
          at: expect.any(String),
          distanceM: null,
        },
        wrongCodesAt: [expect.any(String)],
      },
    ]);
    // What is stored is what is exported: the sign-in (its member id and time), the index's time.
    const stored = JSON.parse(
      (await t.redis.hGet(t.instance.keys.checkinSigns(first.id), amy.openid)) ?? '{}',
    );
    const entry = exported.body.data.checkins[1];
    expect(Date.parse(entry.sign.at)).toBe(stored.at);
    expect(entry.sign.memberId).toBe(stored.memberId);
    const score = await t.redis.zScore(t.instance.keys.userCheckins(amy.openid), first.id);
    expect(Date.parse(entry.lastTriedAt)).toBe(score);
    expect(await keysNaming(amy.openid)).not.toEqual([]);

    expect((await call(t).delete('/api/me').set(amy.auth)).status).toBe(200);
    expect(await keysNaming(amy.openid)).toEqual([]);
    const keys = t.instance.keys;
    expect(await t.redis.hKeys(keys.checkinSigns(first.id))).toEqual([ben.openid]); // ben's stays
    expect(await t.redis.hmGet(keys.checkin(first.id), ['onTime', 'late'])).toEqual(['1', '0']);
    const stats = await call(t).get(`/api/checkins/${first.id}/stats`).set(owner.auth);
    expect(stats.body.data).toMatchObject({ onTime: 1, late: 0 });
    expect(stats.body.data.onTime + stats.body.data.late + stats.body.data.absent).toBe(
      stats.body.data.total,
    );
  });
});
