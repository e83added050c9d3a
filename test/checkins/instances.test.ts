import { TestClock, uniquePrefix, useSandbox, type TestInstance } from '../support/harness';
import {
  call,
  groupWith,
  openCheckin,
  person,
  secretOf,
  shownCode,
  wrongCodeAt,
  type Person,
} from './checkin-helpers';

/** Two instances on one Redis: a sign-in is stored and counted once; wrong codes add up across them. */
const env = useSandbox();
let clock: TestClock;
let a: TestInstance;
let b: TestInstance;

beforeEach(async () => {
  clock = new TestClock();
  const redisPrefix = uniquePrefix();
  a = await env.start({ now: clock.now, config: { redisPrefix } });
  b = await env.start({ now: clock.now, config: { redisPrefix } });
});

const openIdFor = (name: string) => env.sandbox.openIdFor(name);
const sign = (t: TestInstance, who: Person, id: string, code: string) =>
  call(t).post(`/api/checkins/${id}/sign`).set(who.auth).send({ code });

describe('check-in across two instances', () => {
  it('signs each of 30 members in once when each signs on both instances at the same moment', async () => {
    const owner = await person(a, 'boss', openIdFor);
    const members = await Promise.all(Array.from({ length: 30 }, (_, i) => person(a, `m${i}`, openIdFor)));
    const { groupId } = await groupWith(
      a,
      owner,
      members.map((who, i) => ({ who, displayName: `同学${i}` })),
    );
    const { id } = await openCheckin(a, owner, groupId);
    const { code } = await shownCode(a, owner, id);

    const answers = await Promise.all(
      members.flatMap((who) =>
        [sign(a, who, id, code), sign(b, who, id, code)].map(async (p) => ({ who, res: await p })),
      ),
    );
    for (const who of members) {
      const statuses = answers
        .filter((x) => x.who === who)
        .map((x) => x.res.status)
        .sort();
      expect({ member: who.name, statuses }).toEqual({ member: who.name, statuses: [200, 409] });
    }
    const keys = a.instance.keys;
    expect(await a.redis.hLen(keys.checkinSigns(id))).toBe(30);
    expect(await a.redis.hGet(keys.checkin(id), 'onTime')).toBe('30');
    const stats = await call(b).get(`/api/checkins/${id}/stats`).set(owner.auth);
    expect(stats.body.data).toMatchObject({ total: 31, onTime: 30, late: 0, absent: 1 });
  });

  it('counts wrong codes typed on either instance toward one limit', async () => {
    const owner = await person(a, 'boss2', openIdFor);
    const eve = await person(a, 'eve', openIdFor);
    const { groupId } = await groupWith(a, owner, [{ who: eve, displayName: '伊芙' }]);
    const { id } = await openCheckin(a, owner, groupId);
    const wrong = wrongCodeAt(await secretOf(a, id), clock.now());
    for (const t of [a, b, a, b]) expect((await sign(t, eve, id, wrong)).status).toBe(400);
    expect((await sign(b, eve, id, wrong)).status).toBe(429);
    expect((await sign(a, eve, id, (await shownCode(b, owner, id)).code)).status).toBe(429);
  });

  it('keeps every key of a check-in under its hash tag {c<id>}', async () => {
    const owner = await person(a, 'boss3', openIdFor);
    const fay = await person(a, 'fay', openIdFor);
    const { groupId } = await groupWith(a, owner, [{ who: fay, displayName: '菲' }]);
    const { id } = await openCheckin(a, owner, groupId);
    await sign(b, fay, id, wrongCodeAt(await secretOf(a, id), clock.now()));
    expect((await sign(b, fay, id, (await shownCode(a, owner, id)).code)).status).toBe(200);
    const found: string[] = [];
    for await (const batch of a.redis.scanIterator({
      MATCH: `${a.config.redisPrefix}checkin:*`,
      COUNT: 1000,
    })) {
      found.push(...(batch as unknown as string[]));
    }
    const p = a.config.redisPrefix;
    expect(found.sort()).toEqual(
      [
        `${p}checkin:{c${id}}`,
        `${p}checkin:{c${id}}:signs`,
        `${p}checkin:{c${id}}:wrong:${fay.openid}`,
      ].sort(),
    );
    // the records expire RETENTION_DAYS (30) after the check-in ends
    const ttl = await a.redis.pTTL(`${p}checkin:{c${id}}:signs`);
    expect(ttl).toBeGreaterThan(30 * 86_400_000);
    expect(ttl).toBeLessThan(30 * 86_400_000 + 3_700_000);
  });
});
