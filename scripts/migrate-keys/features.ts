import type { Keys } from '../../src/store/keys';
import type { Redis } from '../../src/store/redis';

/**
 * The features' part of `npm run migrate-keys` (scripts/migrate-keys.ts calls it): moves the data
 * of promises, groups, check-ins and the console from the single-Redis layout to the cluster one.
 *
 * - Per-user indexes `user:<openid>:<index>` (promises, groups, owned-groups, checkins,
 *   console-sessions) move into the user's shard, `user:{u<shard>}:<openid>:<index>`, scores and
 *   expiry kept. A move is ZADD GT into the new key (merging with anything already there), the
 *   old key's expiry carried over, then DEL of the old key: single-key steps, each idempotent, so
 *   a run stopped anywhere and run again redoes only what is left (the scan finds only old keys
 *   still there), and a finished run run again changes nothing.
 * - Promise ids stay: older ones came from `seq:reminder` (at most its value, which the reminders'
 *   migration keeps), new ones from the reminder id space above it (PromiseStore.nextId). The
 *   records' `reminderId` is rewritten by the reminders' migration, which renumbers reminders.
 *
 * Records keyed by their own id (`promise:{<id>}`, `group:{g<id>}`, `checkin:{c<id>}`, console
 * sessions, conversations) keep their names: they were one slot each already.
 *
 * Run it with the instances of the new version stopped (as the whole migration): an instance of
 * the new version reads only the new keys, and one of the old version writes only the old ones.
 */

/** The indexes that move, as the old layout named them after `user:<openid>:`. */
export const MOVED_USER_INDEXES = [
  'promises',
  'groups',
  'owned-groups',
  'checkins',
  'console-sessions',
] as const;
export type MovedUserIndex = (typeof MOVED_USER_INDEXES)[number];

const SCAN_COUNT = 1000;

export interface FeatureMigration {
  moved: Record<MovedUserIndex, number>; // old keys moved (and deleted) by this run
}

/** Where an index of the old layout lives in the new one. */
export function newUserIndexKey(keys: Keys, openid: string, index: MovedUserIndex): string {
  switch (index) {
    case 'promises':
      return keys.userPromises(openid);
    case 'groups':
      return keys.userGroups(openid);
    case 'owned-groups':
      return keys.userOwnedGroups(openid);
    case 'checkins':
      return keys.userCheckins(openid);
    case 'console-sessions':
      return keys.userConsoleSessions(openid);
  }
}

export async function migrateFeatureKeys(
  redis: Redis,
  keys: Keys,
  log: (line: string) => void = () => undefined,
): Promise<FeatureMigration> {
  const moved = await moveUserIndexes(redis, keys);
  for (const index of MOVED_USER_INDEXES)
    if (moved[index] > 0) log(`user:<openid>:${index}: ${moved[index]} moved`);
  return { moved };
}

async function moveUserIndexes(redis: Redis, keys: Keys): Promise<Record<MovedUserIndex, number>> {
  const moved = Object.fromEntries(MOVED_USER_INDEXES.map((i) => [i, 0])) as Record<MovedUserIndex, number>;
  const escaped = keys.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The old names: no hash tag (a new name has `{u<shard>}` where the openid was).
  const oldName = new RegExp(`^${escaped}user:([^:{}]+):(${MOVED_USER_INDEXES.join('|')})$`);
  const glob = keys.prefix.replace(/[*?[\]\\]/g, '\\$&');
  for await (const batch of redis.scanIterator({ MATCH: `${glob}user:*`, COUNT: SCAN_COUNT })) {
    for (const key of batch) {
      const match = oldName.exec(key);
      if (!match) continue;
      const [, openid, index] = match as unknown as [string, string, MovedUserIndex];
      if (await moveZset(redis, key, newUserIndexKey(keys, openid, index))) moved[index] += 1;
    }
  }
  return moved;
}

/** Merges one sorted set into its new name with its expiry, then deletes it; false when it was gone. */
async function moveZset(redis: Redis, from: string, to: string): Promise<boolean> {
  const entries = await redis.zRangeWithScores(from, 0, -1);
  const expireAt = await redis.pExpireTime(from); // -1: none, -2: gone (expired meanwhile)
  if (entries.length > 0) {
    await redis.zAdd(to, entries, { GT: true });
    if (expireAt > 0) {
      // Never shorter than the new key's own expiry, and none when neither had one.
      await redis.pExpireAt(to, expireAt, 'NX');
      await redis.pExpireAt(to, expireAt, 'GT');
    }
  }
  return (await redis.del(from)) === 1;
}
