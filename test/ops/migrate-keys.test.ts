import { main, migrateKeys } from '../../scripts/migrate-keys';
import { reminderToHash, type Reminder } from '../../src/domain/reminder';
import { Keys } from '../../src/store/keys';
import type { RedisClient } from '../../src/store/redis';
import { ReminderStore } from '../../src/store/reminder-store';
import { StatsStore } from '../../src/store/stats-store';
import { readKeyspace } from '../personal-data/keyspace';
import {
  api,
  bearer,
  login,
  testRedisUrl,
  uniquePrefix,
  useSandbox,
  type TestInstance,
} from '../support/harness';

// scripts/migrate-keys on a data set written as the old layout wrote it: no hash tags, one `due`,
// reminder ids from `seq:reminder`, stats per day (the old src/store/keys.ts, by raw commands).
const env = useSandbox();
const DAY = '2026-11-30';
const HOUR = 3_600_000;
const NOW = Date.now(); // one clock for every copy of the data set, so that copies compare equal

interface OldData {
  alice: string;
  bob: string;
  slotSent: number;
  dueOne: number;
  dueDaily: number;
}

function oldReminder(id: string, openid: string, fields: Partial<Reminder>): Record<string, string> {
  const now = NOW;
  return {
    ...reminderToHash({
      id,
      openid,
      kind: 'reminder',
      title: `old ${id}`,
      detail: '',
      templateId: 'tpl',
      page: '',
      timezone: 'Asia/Shanghai',
      repeat: null,
      data: null,
      cid: null,
      nextFireAt: null,
      status: 'pending',
      createdAt: now,
      updatedAt: now,
      ...fields,
    }),
    fireCount: '0',
  };
}

async function writeOldLayout(redis: RedisClient, p: string, alice: string, bob: string): Promise<OldData> {
  const now = NOW;
  const data = { alice, bob, slotSent: now - HOUR, dueOne: now + 48 * HOUR, dueDaily: now + 50 * HOUR };
  const attempt = {
    occurrence: `2:${data.slotSent}`,
    attempt: 1,
    at: `${DAY}T00:00:00.000Z`,
    result: 'sent',
    errcode: 0,
    errmsg: 'ok',
    latencyMs: 12,
    msgid: 'm2',
  };
  await redis
    .multi()
    .set(`${p}seq:reminder`, '4') // id 4 was a promise's
    .hSet(`${p}reminder:1`, {
      ...oldReminder('1', alice, { nextFireAt: data.dueOne }),
      idempotencyKey: 'k1',
      requestHash: 'h',
    })
    .hSet(`${p}reminder:2`, {
      ...oldReminder('2', alice, { status: 'sent' }),
      fireCount: '1',
      lastResult: JSON.stringify({ at: attempt.at, errcode: 0, errmsg: 'ok', msgid: 'm2' }),
    })
    .lPush(`${p}reminder:2:deliveries`, JSON.stringify(attempt))
    .hSet(
      `${p}reminder:3`,
      oldReminder('3', bob, { kind: 'give', repeat: { daily: '08:00' }, nextFireAt: data.dueDaily }),
    )
    .zAdd(`${p}user:${alice}:reminders`, [
      { score: 1, value: '1' },
      { score: 2, value: '2' },
      { score: 9, value: '9' }, // a stray entry: its record is gone
    ])
    .sAdd(`${p}user:${alice}:pending`, '1')
    .zAdd(`${p}user:${bob}:reminders`, { score: 3, value: '3' })
    .sAdd(`${p}user:${bob}:pending`, '3')
    .zAdd(`${p}due`, [
      { score: data.dueOne, value: '1' },
      { score: data.dueDaily, value: '3' },
    ])
    .set(`${p}claim:3:${data.dueDaily}`, 'gone-instance', { PX: 60_000 })
    .set(`${p}msgid:m2`, `2:${data.slotSent}`, { EX: 7 * 86_400 })
    .set(`${p}idem:${alice}:k1`, '1', { EX: 86_400 })
    .set(`${p}idem:${bob}:pk`, '4', { EX: 86_400 }) // a promise create's answer
    .hSet(`${p}quota:${alice}`, { tpl: '2' })
    .hSet(`${p}user:${alice}:subscriptions`, {
      tpl: JSON.stringify({ result: 'accept', at: `${DAY}T00:00:00.000Z` }),
    })
    .set(`${p}user:${alice}:sends:${DAY}`, '3', { EX: 2 * 86_400 })
    .hSet(`${p}stats:sends:${DAY}`, { sent: '5', no_quota: '1' })
    .set(`${p}retention:cursor`, '2')
    .hSet(`${p}promise:{4}`, { id: '4', author: bob, type: 'give', reminderId: '3', keeper: bob })
    .zAdd(`${p}user:${bob}:promises`, { score: 4, value: '4' })
    .exec();
  return data;
}

const snapshot = async (redis: RedisClient, prefix: string) => readKeyspace(redis, prefix);

describe('scripts/migrate-keys', () => {
  let t: TestInstance;
  let old: OldData;
  let keys: Keys;
  let oldKeyNames: string[];

  beforeAll(async () => {
    t = await env.start({ start: false });
    keys = t.instance.keys;
    old = await writeOldLayout(
      t.redis as RedisClient,
      keys.prefix,
      env.sandbox.openIdFor('alice'),
      env.sandbox.openIdFor('bob'),
    );
    oldKeyNames = (await snapshot(t.redis as RedisClient, keys.prefix)).map((k) => k.name);
  });

  it('moves every reminder to its owner’s shard under a new id, with everything that names it', async () => {
    // Not migrated yet: an instance refuses to start (what Instance.start checks first).
    await expect(t.instance.store.checkShards()).rejects.toThrow('run npm run migrate-keys first');
    const lines: string[] = [];
    const report = await main({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: keys.prefix }, (l) => lines.push(l));
    expect(report).toMatchObject({ alreadyDone: false, reminders: 3 });
    expect(lines.at(-1)).toBe('migrate-keys: done');

    // The owner sees their reminders, under ids that name their shard; an old id is no one's.
    const alice = await login(t, 'alice');
    const list = await api(t).get('/api/reminders').set(bearer(alice));
    const items = list.body.data.items as { id: string; title: string; status: string }[];
    expect(items.map((r) => [r.title, r.status])).toEqual([
      ['old 2', 'sent'],
      ['old 1', 'pending'],
    ]);
    for (const { id } of items) expect(keys.reminderShard(id)).toBe(keys.userShard(old.alice));
    for (const stale of ['1', '2', '3'])
      expect((await api(t).get(`/api/reminders/${stale}`).set(bearer(alice))).status).toBe(404);
    const [sent, pending] = items.map((r) => r.id) as [string, string];

    // Its schedule, delivery record and msgid link moved with it; the claim of a stopped instance went.
    const due = await t.instance.store.dueSlice(Number.MAX_SAFE_INTEGER, 10);
    const bobs = (await t.redis.zRange(keys.userReminders(old.bob), 0, -1))[0] ?? '';
    expect(due).toEqual([
      { id: pending, fireAt: old.dueOne },
      { id: bobs, fireAt: old.dueDaily },
    ]);
    expect(await t.redis.sMembers(keys.userPending(old.alice))).toEqual([pending]);
    const [attempt] = await t.instance.store.deliveries(sent);
    expect(attempt?.occurrence).toBe(`${sent}:${old.slotSent}`);
    expect(await t.redis.get(keys.msgid(old.alice, 'm2'))).toBe(`${sent}:${old.slotSent}`);
    expect(await t.redis.pTTL(keys.msgid(old.alice, 'm2'))).toBeGreaterThan(0);
    expect(await t.redis.exists(keys.legacyMsgid('m2'))).toBe(0);
    expect(await (t.redis as RedisClient).keys(`${keys.prefix}claim:*`)).toEqual([]);

    // The Idempotency-Key answers: a reminder's names its new id, a promise's is kept as it was.
    expect(await t.redis.get(keys.idempotency(old.alice, 'k1'))).toBe(pending);
    expect(await t.redis.get(keys.idempotency(old.bob, 'pk'))).toBe('4');
    // The promise names its reminder's new id.
    expect(await t.redis.hGet(keys.promise('4'), 'reminderId')).toBe(bobs);

    // Ledgers, the day's counter (with its expiry) and the stats moved into the shards.
    expect(await t.instance.quota.remaining(old.alice)).toEqual({ tpl: 2 });
    expect(Object.keys(await t.redis.hGetAll(keys.subscriptionReports(old.alice)))).toEqual(['tpl']);
    expect(await t.redis.get(keys.userDailySends(old.alice, DAY))).toBe('3');
    expect(await t.redis.pTTL(keys.userDailySends(old.alice, DAY))).toBeGreaterThan(0);
    const [counts] = await new StatsStore(t.redis, keys).sendCounters([DAY]);
    expect(counts).toEqual({ sent: 5, no_quota: 1 });

    // Nothing of the old layout is left but what kept its name: the counter promise ids are counted
    // above, and the promise record.
    const left = new Set((await snapshot(t.redis as RedisClient, keys.prefix)).map((k) => k.name));
    expect(oldKeyNames.filter((name) => left.has(name)).sort()).toEqual(['promise:{4}', 'seq:reminder']);

    // Now it starts, and keeps the shard count it started with.
    await expect(t.instance.store.checkShards()).resolves.toBeUndefined();
    await expect(new ReminderStore(t.redis, new Keys(keys.prefix, 8)).checkShards()).rejects.toThrow(
      'DUE_SHARDS is 8, but the reminders',
    );

    // New reminders take ids above every migrated one.
    const created = await api(t)
      .post('/api/reminders')
      .set(bearer(alice))
      .send({ title: 'new', at: Date.now() + HOUR });
    expect(created.status).toBe(201);
    expect(Number(created.body.data.id)).toBeGreaterThan(Math.max(Number(sent), Number(pending)));
  });

  it('run again, does nothing', async () => {
    const before = await snapshot(t.redis as RedisClient, keys.prefix);
    const report = await migrateKeys(t.redis as RedisClient, keys);
    expect(report).toEqual({ alreadyDone: true, reminders: 0, other: {}, features: null });
    expect(await snapshot(t.redis as RedisClient, keys.prefix)).toEqual(before);
  });

  it('stopped at any step and run again, ends with exactly what one run leaves', async () => {
    const redis = t.redis as RedisClient;
    const build = async () => {
      const k = new Keys(uniquePrefix(), keys.dueShards);
      await writeOldLayout(redis, k.prefix, old.alice, old.bob);
      return k;
    };
    // The reference: one uninterrupted run, and how many steps it takes.
    const reference = await build();
    let steps = 0;
    await migrateKeys(redis, reference, { beforeStep: () => void (steps += 1) });
    const expected = await snapshot(redis, reference.prefix);
    expect(steps).toBeGreaterThan(10);
    for (let stopAt = 1; stopAt <= steps; stopAt += 1) {
      const k = await build();
      let n = 0;
      const stop = () => {
        n += 1;
        if (n === stopAt) throw new Error('stopped');
      };
      await expect(migrateKeys(redis, k, { beforeStep: stop })).rejects.toThrow('stopped');
      const rerun = await migrateKeys(redis, k, { batch: 2 });
      expect(rerun.alreadyDone).toBe(false);
      expect({ stopAt, keys: await snapshot(redis, k.prefix) }).toEqual({ stopAt, keys: expected });
    }
  }, 60_000);
});
