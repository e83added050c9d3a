import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { embeddedRedisUrlFile } from '../src/infra/redis-server';
import { createLogger } from '../src/logger';
import { Keys } from '../src/store/keys';
import { closeRedis, connectRedis, isCluster, type RedisClient } from '../src/store/redis';
import { migrateFeatureKeys, type FeatureMigration } from './migrate-keys/features';

/**
 * `npm run migrate-keys`: moves the data of a single Redis from the old layout (no hash tags, one
 * `due` index, reminder ids from `seq:reminder`) to the sharded one (src/store/keys.ts), with every
 * instance stopped. Run it once after the upgrade, before starting the new version.
 *
 * - Each reminder moves to its owner's shard under a new id, `(base + old id) × DUE_SHARDS + shard`
 *   (`base`: the old counter's value when the migration began), so no old id a client still holds
 *   is ever a new one: it answers 404 rather than someone else's reminder. With it move its
 *   delivery attempts (their occurrence ids rewritten), its place in the due index and the user's
 *   indexes, its msgid links, its Idempotency-Key answer and the promise that names it
 *   (`reminderId`) — all in one MULTI per reminder, old keys deleted in the same step.
 * - The per-user ledgers (`quota:`, `:subscriptions`, `:sends:<day>`), other Idempotency-Key
 *   answers and the day's stats (into shard 0's hash) are merged into their new names and deleted,
 *   one MULTI each; claims (leases of stopped instances), the old `due` and the retention cursor go.
 * - Every shard's id counter is put above the migrated ids; then the features' keys
 *   (scripts/migrate-keys/features.ts).
 *
 * Idempotent and resumable: every step is one MULTI that writes the new keys and deletes the old,
 * so a run stopped anywhere and run again finds only what is left; the cursor (`migrate-keys`, a
 * hash: base, next old id, done) skips what was moved, and a finished migration run again does
 * nothing. `seq:reminder` stays: promise ids are counted above it.
 */

export interface KeyMigration {
  alreadyDone: boolean;
  reminders: number; // reminders moved by this run
  other: Record<string, number>; // old keys of each kind moved or dropped by this run
  features: FeatureMigration | null;
}

export interface MigrateOptions {
  log?: (line: string) => void;
  /** Called before each step is written; a test throws from it to stop the run there. */
  beforeStep?: () => void;
  batch?: number; // old reminder ids read per round trip, default 200
}

const SCAN_COUNT = 1000;

/** The old layout's names, under the same prefix. */
function oldNames(prefix: string) {
  return {
    seq: `${prefix}seq:reminder`,
    reminder: (id: string) => `${prefix}reminder:${id}`,
    deliveries: (id: string) => `${prefix}reminder:${id}:deliveries`,
    userReminders: (openid: string) => `${prefix}user:${openid}:reminders`,
    userPending: (openid: string) => `${prefix}user:${openid}:pending`,
    due: `${prefix}due`,
    msgid: (msgid: string) => `${prefix}msgid:${msgid}`,
    idempotency: (openid: string, key: string) => `${prefix}idem:${openid}:${key}`,
  };
}

export async function migrateKeys(
  redis: RedisClient,
  keys: Keys,
  options: MigrateOptions = {},
): Promise<KeyMigration> {
  const log = options.log ?? (() => undefined);
  const state = `${keys.prefix}migrate-keys`;
  if ((await redis.hGet(state, 'done')) === '1') {
    log('migrate-keys: already done, nothing to do');
    return { alreadyDone: true, reminders: 0, other: {}, features: null };
  }
  const old = oldNames(keys.prefix);
  // The base is fixed by the first run: every later run computes the same new ids.
  await redis.hSetNX(state, 'base', (await redis.get(old.seq)) ?? '0');
  const base = Number(await redis.hGet(state, 'base'));
  const reminders = await moveReminders(redis, keys, base, options);
  if (reminders > 0) log(`reminders: ${reminders} moved`);
  await raiseShardCounters(redis, keys, 2 * base, options);
  const other = await moveOtherKeys(redis, keys, options);
  for (const [kind, n] of Object.entries(other)) if (n > 0) log(`${kind}: ${n} moved`);
  const features = await migrateFeatureKeys(redis, keys, log);
  options.beforeStep?.();
  await redis.hSet(state, 'done', '1');
  log('migrate-keys: done');
  return { alreadyDone: false, reminders, other, features };
}

async function moveReminders(
  redis: RedisClient,
  keys: Keys,
  base: number,
  options: MigrateOptions,
): Promise<number> {
  const old = oldNames(keys.prefix);
  const state = `${keys.prefix}migrate-keys`;
  const batch = options.batch ?? 200;
  const promises = await promisesByReminder(redis, keys.prefix);
  let moved = 0;
  for (let from = Number((await redis.hGet(state, 'next')) ?? 1); from <= base; from += batch) {
    const ids = Array.from({ length: Math.min(batch, base - from + 1) }, (_, i) => String(from + i));
    const hashes = await Promise.all(ids.map((id) => redis.hGetAll(old.reminder(id))));
    for (const [i, id] of ids.entries()) {
      const hash = hashes[i] ?? {};
      if (hash.openid) {
        options.beforeStep?.();
        await moveReminder(redis, keys, base, id, hash, promises.get(id) ?? []);
        moved += 1;
      }
    }
    options.beforeStep?.();
    await redis.hSet(state, 'next', String(from + ids.length));
  }
  return moved;
}

/**
 * Puts every shard's id counter at `floor` or above (migrated ids used seqs up to 2 × base), so
 * that new reminders take ids above them. INCRBY, not SET: it only ever raises a counter.
 */
async function raiseShardCounters(redis: RedisClient, keys: Keys, floor: number, options: MigrateOptions) {
  for (let shard = 0; shard < keys.dueShards; shard += 1) {
    const seq = Number((await redis.get(keys.reminderShardSeq(shard))) ?? 0);
    if (seq >= floor) continue;
    options.beforeStep?.();
    await redis.incrBy(keys.reminderShardSeq(shard), floor - seq);
  }
}

/** Old reminder id → the promise records that name it (`reminderId`). */
async function promisesByReminder(redis: RedisClient, prefix: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const record = new RegExp(`^${escapeRegex(prefix)}promise:\\{[^}]+\\}$`);
  for await (const batch of redis.scanIterator({
    MATCH: `${escapeGlob(prefix)}promise:*`,
    COUNT: SCAN_COUNT,
  })) {
    for (const key of batch) {
      if (!record.test(key)) continue;
      const reminderId = await redis.hGet(key, 'reminderId');
      if (reminderId) out.set(reminderId, [...(out.get(reminderId) ?? []), key]);
    }
  }
  return out;
}

async function moveReminder(
  redis: RedisClient,
  keys: Keys,
  base: number,
  id: string,
  hash: Record<string, string>,
  promiseKeys: string[],
): Promise<void> {
  const old = oldNames(keys.prefix);
  const openid = hash.openid ?? '';
  const shard = keys.userShard(openid);
  const newId = keys.reminderId(shard, base + Number(id));
  const renamed = (occurrence: string) =>
    occurrence.startsWith(`${id}:`) ? `${newId}${occurrence.slice(id.length)}` : occurrence;
  const attempts = (await redis.lRange(old.deliveries(id), 0, -1)).map((row) => {
    try {
      const entry = JSON.parse(row) as { occurrence?: string; msgid?: string | null };
      if (typeof entry.occurrence === 'string') entry.occurrence = renamed(entry.occurrence);
      return { row: JSON.stringify(entry), msgid: entry.msgid ?? null };
    } catch {
      return { row, msgid: null }; // not JSON: kept as it was
    }
  });
  const msgids = new Set(attempts.flatMap((a) => (a.msgid ? [a.msgid] : [])));
  try {
    const last = JSON.parse(hash.lastResult ?? 'null') as { msgid?: string | null } | null;
    if (last?.msgid) msgids.add(last.msgid);
  } catch {
    // an unreadable lastResult names no msgid
  }
  const [dueScore, pending] = await Promise.all([
    redis.zScore(old.due, id),
    redis.sIsMember(old.userPending(openid), id),
  ]);
  const links = await Promise.all(
    [...msgids].map(async (msgid) => {
      const [value, ttl] = await Promise.all([redis.get(old.msgid(msgid)), redis.pTTL(old.msgid(msgid))]);
      return { msgid, value, ttl };
    }),
  );
  const idemKey = hash.idempotencyKey ? old.idempotency(openid, hash.idempotencyKey) : null;
  const [idemValue, idemTtl] = idemKey
    ? await Promise.all([redis.get(idemKey), redis.pTTL(idemKey)])
    : [null, -2];

  const multi = redis.multi();
  multi.del([keys.reminder(newId), keys.deliveries(newId)]);
  multi.hSet(keys.reminder(newId), { ...hash, id: newId });
  if (attempts.length > 0)
    multi.rPush(
      keys.deliveries(newId),
      attempts.map((a) => a.row),
    );
  if (dueScore !== null) multi.zAdd(keys.due(shard), { score: dueScore, value: newId });
  multi.zAdd(keys.userReminders(openid), { score: Number(newId), value: newId });
  if (pending) multi.sAdd(keys.userPending(openid), newId);
  for (const { msgid, value, ttl } of links) {
    if (value?.startsWith(`${id}:`) && ttl > 0) {
      multi.set(keys.msgid(openid, msgid), renamed(value), { PX: ttl });
      multi.del(old.msgid(msgid));
    }
  }
  if (idemKey && hash.idempotencyKey && idemValue === id && idemTtl > 0) {
    multi.set(keys.idempotency(openid, hash.idempotencyKey), newId, { PX: idemTtl });
    multi.del(idemKey);
  }
  for (const key of promiseKeys) multi.hSet(key, 'reminderId', newId);
  multi.del([old.reminder(id), old.deliveries(id)]);
  multi.zRem(old.due, id);
  multi.zRem(old.userReminders(openid), id);
  multi.sRem(old.userPending(openid), id);
  await multi.exec();
}

/** Merges the old layout's other keys into their new names (or drops them), one MULTI each. */
async function moveOtherKeys(
  redis: RedisClient,
  keys: Keys,
  options: MigrateOptions,
): Promise<Record<string, number>> {
  const p = escapeRegex(keys.prefix);
  const user = '([^:{}]+)'; // an old name's openid: a new name has `{u<shard>}` there
  const kinds: { kind: string; pattern: RegExp; move: (m: string[], key: string) => Promise<boolean> }[] = [
    {
      kind: 'quota',
      pattern: new RegExp(`^${p}quota:${user}$`),
      move: ([, openid], key) => mergeCounts(redis, key, keys.quota(openid ?? ''), options),
    },
    {
      kind: 'subscription reports',
      pattern: new RegExp(`^${p}user:${user}:subscriptions$`),
      move: ([, openid], key) =>
        mergeMissingFields(redis, key, keys.subscriptionReports(openid ?? ''), options),
    },
    {
      kind: 'daily sends',
      pattern: new RegExp(`^${p}user:${user}:sends:(\\d{4}-\\d{2}-\\d{2})$`),
      move: ([, openid, day], key) =>
        mergeCounter(redis, key, keys.userDailySends(openid ?? '', day ?? ''), options),
    },
    {
      kind: 'idempotency keys',
      pattern: new RegExp(`^${p}idem:${user}:(.+)$`),
      move: ([, openid, idem], key) =>
        moveString(redis, key, keys.idempotency(openid ?? '', idem ?? ''), options),
    },
    {
      kind: 'stats',
      // Into shard 0's hash of the day: StatsStore sums the shards.
      pattern: new RegExp(`^${p}stats:sends:(\\d{4}-\\d{2}-\\d{2})$`),
      move: ([, day], key) => mergeCounts(redis, key, keys.sendStats(0, day ?? ''), options),
    },
    {
      kind: 'stale index entries',
      pattern: new RegExp(
        `^${p}(?:user:${user}:(?:reminders|pending)|due|retention:cursor|claim:\\d+:\\d+)$`,
      ),
      move: (_m, key) => drop(redis, key, options),
    },
  ];
  const moved = Object.fromEntries(kinds.map((k) => [k.kind, 0]));
  for await (const batch of redis.scanIterator({ MATCH: `${escapeGlob(keys.prefix)}*`, COUNT: SCAN_COUNT })) {
    for (const key of batch) {
      for (const { kind, pattern, move } of kinds) {
        const match = pattern.exec(key);
        if (!match) continue;
        if (await move([...match], key)) moved[kind] = (moved[kind] ?? 0) + 1;
        break;
      }
    }
  }
  return moved;
}

/** A hash of counts: added to the new one's, then deleted. */
async function mergeCounts(
  redis: RedisClient,
  from: string,
  to: string,
  options: MigrateOptions,
): Promise<boolean> {
  const hash = await redis.hGetAll(from);
  options.beforeStep?.();
  const multi = redis.multi();
  for (const [field, n] of Object.entries(hash)) multi.hIncrBy(to, field, Number(n));
  multi.del(from);
  return Number((await multi.exec()).at(-1)) === 1;
}

/** A hash of reports: its fields the new one lacks are copied (a newer report stands), then deleted. */
async function mergeMissingFields(
  redis: RedisClient,
  from: string,
  to: string,
  options: MigrateOptions,
): Promise<boolean> {
  const hash = await redis.hGetAll(from);
  options.beforeStep?.();
  const multi = redis.multi();
  for (const [field, value] of Object.entries(hash)) multi.hSetNX(to, field, value);
  multi.del(from);
  return Number((await multi.exec()).at(-1)) === 1;
}

/** A counter with an expiry: added to the new one, which lives at least as long, then deleted. */
async function mergeCounter(
  redis: RedisClient,
  from: string,
  to: string,
  options: MigrateOptions,
): Promise<boolean> {
  const [value, expireAt] = await Promise.all([redis.get(from), redis.pExpireTime(from)]);
  if (value === null) return false;
  options.beforeStep?.();
  const multi = redis.multi().incrBy(to, Number(value));
  if (expireAt > 0) multi.pExpireAt(to, expireAt, 'NX').pExpireAt(to, expireAt, 'GT');
  multi.del(from);
  return Number((await multi.exec()).at(-1)) === 1;
}

/** A string with its expiry: copied unless the new name holds one already, then deleted. */
async function moveString(
  redis: RedisClient,
  from: string,
  to: string,
  options: MigrateOptions,
): Promise<boolean> {
  const [value, ttl] = await Promise.all([redis.get(from), redis.pTTL(from)]);
  if (value === null) return false;
  options.beforeStep?.();
  const multi = redis.multi();
  if (ttl > 0) multi.set(to, value, { PX: ttl, NX: true });
  else multi.set(to, value, { NX: true });
  multi.del(from);
  return Number((await multi.exec()).at(-1)) === 1;
}

async function drop(redis: RedisClient, key: string, options: MigrateOptions): Promise<boolean> {
  options.beforeStep?.();
  return (await redis.del(key)) === 1;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/** The command: REDIS_URL (or the embedded Redis `npm start` runs), REDIS_PREFIX and DUE_SHARDS. */
export async function main(
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<KeyMigration> {
  const config = loadConfig(env);
  const urlFile = embeddedRedisUrlFile(path.join(process.cwd(), 'var', 'redis'));
  const url = config.redisUrl ?? (existsSync(urlFile) ? readFileSync(urlFile, 'utf8').trim() : undefined);
  if (!url)
    throw new Error('REDIS_URL is unset and no embedded Redis is running (start tixing with npm start)');
  const redis = await connectRedis(url, createLogger({ level: 'warn' }));
  try {
    // The old layout only ever lived on one Redis: migrate there, then move to a cluster if wanted.
    if (isCluster(redis)) throw new Error('migrate-keys runs on the single Redis that holds the old layout');
    return await migrateKeys(redis, new Keys(config.redisPrefix, config.dueShards), { log: out });
  } finally {
    await closeRedis(redis);
  }
}

if (require.main === module) {
  const envFile = path.join(process.cwd(), '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  main().catch((err: Error) => {
    process.stderr.write(`migrate-keys: ${err.message}\n`);
    process.exit(1);
  });
}
