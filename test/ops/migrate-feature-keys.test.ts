import request from 'supertest';
import { migrateFeatureKeys, MOVED_USER_INDEXES } from '../../scripts/migrate-keys/features';
import { bearer, login, useSandbox, type TestInstance } from '../support/harness';

/**
 * scripts/migrate-keys/features.ts on data of the single-Redis layout: the per-user indexes of
 * promises, groups, check-ins and console sessions move into the user's shard; run again, or after
 * stopping half-way, it completes and changes nothing.
 */
const env = useSandbox();
let t: TestInstance;

beforeAll(async () => {
  t = await env.start();
});

const api = () => request(t.instance.app.callback());
/** The old layout's name of an index (keys.ts before the cluster layout built it so). */
const oldKey = (openid: string, index: string) => `${t.config.redisPrefix}user:${openid}:${index}`;
const idsOf = async (token: string, path: string) =>
  ((await api().get(path).set(bearer(token))).body.data.items as { id: string }[]).map((i) => i.id);

describe('migrate-keys: promises, groups, check-ins, console sessions', () => {
  it('moves old-layout indexes into the user shard, keeps ids and expiry, and is idempotent', async () => {
    const k = t.instance.keys;
    const token = await login(t, 'mia#1');
    const openid = env.sandbox.openIdFor('mia');
    const group = (await api().post('/api/groups').set(bearer(token)).send({ name: '读书会' })).body.data;
    const promise = (await api().post('/api/promises/ask').set(bearer(token)).send({ hour: 8, min: 0 })).body
      .data;
    expect(await idsOf(token, '/api/groups')).toEqual([group.id]);

    // The old layout: the same indexes under their old names (no hash tag), as the old code left
    // them, plus two only raw commands write here (a check-in tried, a console session).
    for (const index of ['groups', 'owned-groups', 'promises'] as const) {
      const current =
        index === 'promises'
          ? k.userPromises(openid)
          : index === 'groups'
            ? k.userGroups(openid)
            : k.userOwnedGroups(openid);
      // Copied key by key (no RENAME: the two names are in different cluster slots).
      await t.redis.zAdd(oldKey(openid, index), await t.redis.zRangeWithScores(current, 0, -1));
      await t.redis.del(current);
    }
    const expireAt = Date.now() + 3_600_000;
    await t.redis.zAdd(oldKey(openid, 'checkins'), { score: 1_700_000_000_000, value: '42' });
    await t.redis.pExpireAt(oldKey(openid, 'checkins'), expireAt);
    await t.redis.zAdd(oldKey(openid, 'console-sessions'), { score: expireAt, value: 'digest' });
    await t.redis.pExpireAt(oldKey(openid, 'console-sessions'), expireAt);
    // Old data is invisible to the new code until it is moved (the control).
    expect(await idsOf(token, '/api/groups')).toEqual([]);
    expect(await idsOf(token, '/api/promises')).toEqual([]);

    const first = await migrateFeatureKeys(t.redis, k);
    expect(first.moved).toEqual({
      promises: 1,
      groups: 1,
      'owned-groups': 1,
      checkins: 1,
      'console-sessions': 1,
    });
    expect(await idsOf(token, '/api/groups')).toEqual([group.id]);
    expect(await idsOf(token, '/api/promises')).toEqual([promise.id]);
    for (const index of MOVED_USER_INDEXES) expect(await t.redis.exists(oldKey(openid, index))).toBe(0);
    expect(await t.redis.zScore(k.userOwnedGroups(openid), group.id)).toBe(Number(group.id));
    expect(await t.redis.zScore(k.userCheckins(openid), '42')).toBe(1_700_000_000_000);
    expect(await t.redis.pExpireTime(k.userCheckins(openid))).toBe(expireAt);
    expect(await t.redis.pExpireTime(k.userConsoleSessions(openid))).toBe(expireAt);
    expect(await t.redis.pExpireTime(k.userGroups(openid))).toBe(-1); // none before, none after

    // Run again: nothing left to do, nothing changes.
    const again = await migrateFeatureKeys(t.redis, k);
    expect(Object.values(again.moved)).toEqual([0, 0, 0, 0, 0]);
    expect(await idsOf(token, '/api/groups')).toEqual([group.id]);
  });

  it('completes a move that stopped between writing the new key and deleting the old one', async () => {
    const k = t.instance.keys;
    const token = await login(t, 'noa#1');
    const openid = env.sandbox.openIdFor('noa');
    const a = (await api().post('/api/groups').set(bearer(token)).send({ name: 'A' })).body.data;
    const b = (await api().post('/api/groups').set(bearer(token)).send({ name: 'B' })).body.data;
    // Stopped half-way: the new key holds what the run had copied (a), the old one is still whole.
    await t.redis.zAdd(oldKey(openid, 'groups'), [
      { score: Number(a.id), value: a.id },
      { score: Number(b.id), value: b.id },
    ]);
    await t.redis.zRem(k.userGroups(openid), b.id);
    expect(await idsOf(token, '/api/groups')).toEqual([a.id]); // the control: b is missing

    const run = await migrateFeatureKeys(t.redis, k);
    expect(run.moved.groups).toBe(1);
    expect(await idsOf(token, '/api/groups')).toEqual([b.id, a.id]);
    expect(await t.redis.exists(oldKey(openid, 'groups'))).toBe(0);
  });
});
