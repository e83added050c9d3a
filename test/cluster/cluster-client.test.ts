import { ErrorReply } from 'redis';
import { createLogger } from '../../src/logger';
import { LuaScript } from '../../src/store/lua-script';
import { RedisProbe } from '../../src/store/redis-probe';
import {
  closeRedis,
  connectRedis,
  isCluster,
  nodeClients,
  publishChannel,
  RedisCommandTimeoutError,
  redisFault,
  subscribeChannel,
  type Redis,
} from '../../src/store/redis';
import { keySlot } from '../../src/store/slot-audit';
import { waitFor } from '../support/harness';
import { nodeCommand, parseClusterNodes, TestCluster } from '../support/cluster';

// The cluster client on a real Redis Cluster (3 masters + 3 replicas, Debian's redis-server): what
// connectRedis gives every other part of the code when REDIS_URL lists several nodes.
const logger = createLogger({ level: 'silent' });
let cluster: TestCluster;
let redis: Redis;

beforeAll(async () => {
  cluster = await TestCluster.start();
  redis = await connectRedis(cluster.url, logger, 'redis', { commandTimeoutMs: 500 });
}, 60_000);

afterAll(async () => {
  if (redis) await closeRedis(redis);
  await cluster?.stop();
});

/** The port of the master serving `key`'s slot now. */
async function masterOf(key: string): Promise<number> {
  const slot = keySlot(key);
  const port = (await cluster.masters())[0]?.port ?? 0;
  // CLUSTER NODES lists each master's slot ranges; the one containing `slot` serves it.
  const text = await nodeCommand(port, ['CLUSTER', 'NODES']);
  for (const line of text.trim().split('\n')) {
    const fields = line.split(' ');
    if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
    for (const range of fields.slice(8)) {
      const [from, to = from] = range.split('-').map(Number);
      if (slot >= Number(from) && slot <= Number(to)) return parseClusterNodes(line)[0]?.port ?? 0;
    }
  }
  throw new Error(`no master serves slot ${slot}`);
}

/** `count` keys whose hash tags land on every master (distinct tags, distinct slots). */
function spreadKeys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}{k${i}}`);
}

describe('the cluster client (REDIS_URL listing several nodes)', () => {
  it('is a cluster client that routes each key to its master and scans every master', async () => {
    expect(isCluster(redis)).toBe(true);
    const keys = spreadKeys('scan:', 60);
    await Promise.all(keys.map((key, i) => redis.set(key, String(i))));
    expect(await Promise.all(keys.map((key) => redis.get(key)))).toEqual(keys.map((_, i) => String(i)));
    // The keys are on all three masters, so a scan of one node would miss two thirds of them.
    const owners = new Set(await Promise.all(keys.map(masterOf)));
    expect(owners.size).toBe(3);
    const found: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: 'scan:*', COUNT: 100 })) {
      found.push(...(batch as unknown as string[]));
    }
    expect(found.sort()).toEqual([...keys].sort());
    expect(await nodeClients(redis)).toHaveLength(3);
  });

  it('sends a raw command to the node of its first key', async () => {
    const keys = spreadKeys('raw:', 10);
    for (const key of keys) await redis.sendCommand(['SET', key, 'v']);
    expect(await Promise.all(keys.map((key) => redis.sendCommand(['GET', key])))).toEqual(
      keys.map(() => 'v'),
    );
  });

  it('delivers a published message to a subscriber over sharded pub/sub, and counts it', async () => {
    const got: string[] = [];
    const unsubscribe = await subscribeChannel(redis, 'events:{test}', (message) => got.push(message));
    try {
      expect(await publishChannel(redis, 'events:{test}', 'hello')).toBe(1);
      await waitFor(() => got.length === 1, { what: 'the message' });
      expect(got).toEqual(['hello']);
      // Sharded: a plain PUBLISH on the same name reaches nobody (the control that it is SSUBSCRIBE).
      expect(await redis.publish('events:{test}', 'plain')).toBe(0);
    } finally {
      await unsubscribe();
    }
    expect(await publishChannel(redis, 'events:{test}', 'after')).toBe(0);
  });

  it('runs a script with EVALSHA, loading it on each node on its own NOSCRIPT', async () => {
    const script = new LuaScript('compare-and-delete');
    const keys = spreadKeys('cad:', 9);
    for (const key of keys) await redis.set(key, 'mine');
    // One key per slot, so every master gets its first EVALSHA, answers NOSCRIPT and loads it.
    for (const key of keys) expect(await script.run(redis, [key], ['mine'])).toBe(1);
    expect(await Promise.all(keys.map((key) => redis.exists(key)))).toEqual(keys.map(() => 0));
  });

  it('has a cross-slot MULTI refused by the cluster (what the slot audit guards against)', async () => {
    const [a = '', b = ''] = spreadKeys('multi:', 2);
    expect(keySlot(a)).not.toBe(keySlot(b));
    // CROSSSLOT when both slots are on one master; else MOVED for ever (a bug, never a 503).
    const err = await redis
      .multi()
      .set(a, '1')
      .set(b, '1')
      .exec()
      .catch((e: unknown) => e);
    expect(String(err)).toMatch(/CROSSSLOT|Too many Cluster redirections/);
    expect(redisFault(err)).toBeUndefined();
    // The same MULTI within one hash tag passes.
    await expect(redis.multi().set('multi:{same}:a', '1').set('multi:{same}:b', '1').exec()).resolves.toEqual(
      ['OK', 'OK'],
    );
  });

  it('fails a command within the deadline when its master stalls, while the other masters answer', async () => {
    const keys = spreadKeys('stall:', 30);
    const victim = await masterOf(keys[0] ?? '');
    const stalledKey = keys[0] ?? '';
    const others: string[] = [];
    for (const key of keys) if ((await masterOf(key)) !== victim) others.push(key);
    const server = cluster.nodes.find((node) => node.port === victim);
    const pid = server?.pid;
    if (pid === undefined) throw new Error('victim not running');
    process.kill(pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const err = await redis.get(stalledKey).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisCommandTimeoutError);
      expect(redisFault(err)).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(2000);
      // Positive control in the same wait: keys of the two other masters are served meanwhile.
      await expect(redis.set(others[0] ?? '', 'x')).resolves.toBe('OK');
      expect(await new RedisProbe(redis).health(1000)).toBe('unresponsive');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(async () => (await redis.get(stalledKey).catch(() => 'err')) !== 'err', {
      what: 'the master back',
    });
    expect(await new RedisProbe(redis).health(1000)).toBe('up');
  }, 30_000);

  it('serves a killed master’s keys again once its replica is promoted, by itself', async () => {
    const keys = spreadKeys('failover:', 30);
    for (const key of keys) await redis.set(key, 'kept');
    // Each master waits until its replica has every write so far (what tixing can promise).
    for (const node of await nodeClients(redis)) await node.sendCommand(['WAIT', '1', '1000']);
    const victim = await masterOf(keys[0] ?? '');
    const { killed, promoted } = await cluster.killMaster(victim);
    expect(killed).toBe(victim);
    const value = await waitFor(
      async () => {
        const v = await redis.get(keys[0] ?? '').catch((err: unknown) => {
          if (err instanceof ErrorReply || redisFault(err) !== undefined) return undefined;
          throw err;
        });
        return v ?? undefined;
      },
      { timeoutMs: 20_000, what: `the key served by the promoted replica ${promoted}` },
    );
    expect(value).toBe('kept');
    // Acknowledged by WAIT before the kill: every key is still there.
    expect(await Promise.all(keys.map((key) => redis.get(key)))).toEqual(keys.map(() => 'kept'));
  }, 60_000);
});
