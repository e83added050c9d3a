import { api, bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { data } from '../support/api-types';
import { codeOf, createGroup, groupKeys, joinGroup } from './group-helpers';

/** GET /api/me/export and DELETE /api/me for groups (README.md#http-api): memberships, profiles, owned groups. */
const env = useSandbox();
let t: TestInstance;

beforeAll(async () => {
  t = await env.start({ start: false });
});

interface GroupsSection {
  memberships: { groupId: string; groupName: string; role: string; displayName: string; studentNo: string }[];
  owned: string[];
}

/** Every key, field, member and value under the test's prefix that holds `text`. */
async function mentions(text: string): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of t.redis.scanIterator({ MATCH: `${t.config.redisPrefix}*` })) {
    for (const key of batch as unknown as string[]) {
      const type = await t.redis.type(key);
      let parts: string[] = [];
      if (type === 'hash') parts = Object.entries(await t.redis.hGetAll(key)).flat();
      else if (type === 'zset') parts = await t.redis.zRange(key, 0, -1);
      else if (type === 'set') parts = await t.redis.sMembers(key);
      else if (type === 'string') parts = [(await t.redis.get(key)) ?? ''];
      if (key.includes(text) || parts.some((p) => p.includes(text))) found.push(key);
    }
  }
  return found;
}

describe('groups in a person’s own data', () => {
  it('exports memberships with their profiles; erasure leaves every group, hands an owned one to a manager, deletes one without', async () => {
    const uma = await login(t, 'uma#1');
    const pat = await login(t, 'pat#1');
    const kim = await login(t, 'kim#1');
    const umaId = env.sandbox.openIdFor('uma');

    // A: uma owns it, pat manages it. B: uma owns it, kim is a plain member. C: pat's, uma is in it.
    const a = await createGroup(t, uma, 'A');
    const patInA = await joinGroup(t, pat, codeOf(a));
    await api(t)
      .patch(`/api/groups/${a.id}/members/${patInA.me.memberId}`)
      .set(bearer(uma))
      .send({ role: 'manager' });
    const b = await createGroup(t, uma, 'B');
    await joinGroup(t, kim, codeOf(b));
    const c = await createGroup(t, pat, 'C');
    await joinGroup(t, uma, codeOf(c));
    await joinGroup(t, kim, codeOf(c));
    await api(t)
      .put(`/api/groups/${c.id}/me`)
      .set(bearer(uma))
      .send({ displayName: '乌玛', studentNo: '42' });

    const exported = await api(t).get('/api/me/export').set(bearer(uma));
    expect(exported.status).toBe(200);
    const groups = data<{ groups: GroupsSection }>(exported).groups;
    expect(groups.owned.sort()).toEqual([a.id, b.id].sort());
    expect(groups.memberships.map((m) => [m.groupName, m.role]).sort()).toEqual([
      ['A', 'owner'],
      ['B', 'owner'],
      ['C', 'member'],
    ]);
    expect(groups.memberships.find((m) => m.groupId === c.id)).toMatchObject({
      displayName: '乌玛',
      studentNo: '42',
    });
    expect(JSON.stringify(groups)).not.toContain(env.sandbox.openIdFor('pat')); // nobody else's openid

    expect((await mentions(umaId)).length).toBeGreaterThan(0); // the check below sees what it should
    const erased = await api(t).delete('/api/me').set(bearer(uma));
    expect(erased.status).toBe(200);
    expect(data<{ records: Record<string, number> }>(erased).records.groups).toBe(3);
    expect(await mentions(umaId)).toEqual([]);

    // A is pat's now; B is gone with its members' entries; C lives on without uma.
    expect(await t.instance.groups.membership(a.id, env.sandbox.openIdFor('pat'))).toMatchObject({
      role: 'owner',
    });
    expect((await t.instance.groups.get(a.id))?.memberCount).toBe(1);
    const kept = await api(t).delete(`/api/groups/${a.id}`).set(bearer(pat));
    expect(kept.status).toBe(200); // pat, the owner now, may delete it
    expect(await groupKeys(t, b.id)).toEqual([]);
    expect(await t.redis.exists(t.instance.keys.groupInvite(codeOf(b)))).toBe(0);
    expect(await t.redis.zRange(t.instance.keys.userGroups(env.sandbox.openIdFor('kim')), 0, -1)).toEqual([
      c.id,
    ]);
    expect((await t.instance.groups.members(c.id)).map((m) => m.openid)).toEqual([
      env.sandbox.openIdFor('pat'),
      env.sandbox.openIdFor('kim'),
    ]);
  });
});
