/**
 * Scale probe (issue 3): 1,000,000 pending reminders spread over 30 days, loaded straight into a
 * private redis-server. Measures start-to-ready of one instance, the jobs it holds, its RSS, and
 * create latency with 1M pending vs with none (ratio). Run: npx tsx bench/scale.ts [count]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { RedisServer } from '../src/infra/redis-server';
import { Instance } from '../src/instance';
import { createLogger } from '../src/logger';
import { WeChatSandbox } from '../src/sandbox/wechat-sandbox';
import { Keys } from '../src/store/keys';
import { closeRedis, connectRedis, type Redis } from '../src/store/redis';

const DAY = 86_400_000;

async function load(redis: Redis, keys: Keys, count: number, openid: (i: number) => string): Promise<void> {
  const now = Date.now();
  const batch = 5000;
  for (let start = 0; start < count; start += batch) {
    const multi = redis.multi();
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const id = String(i + 1);
      const fireAt = now + 60_000 + Math.floor((i / count) * 30 * DAY);
      const user = openid(i);
      multi.hSet(keys.reminder(id), {
        id,
        openid: user,
        kind: 'reminder',
        title: `r${i}`,
        detail: '',
        templateId: '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w',
        page: '',
        timezone: 'Asia/Shanghai',
        repeat: '',
        data: '',
        cid: '',
        nextFireAt: String(fireAt),
        status: 'pending',
        createdAt: String(now),
        updatedAt: String(now),
        fireCount: '0',
      });
      multi.zAdd(keys.due(), { score: fireAt, value: id });
      multi.zAdd(keys.userReminders(user), { score: i + 1, value: id });
      multi.sAdd(keys.userPending(user), id);
    }
    await multi.execAsPipeline();
  }
  await redis.set(keys.reminderSeq(), String(count));
}

async function createLatencies(instance: Instance, n: number): Promise<number[]> {
  const out: number[] = [];
  const at = Date.now() + 2 * 3600_000;
  for (let i = 0; i < n; i++) {
    const started = process.hrtime.bigint();
    await instance.reminders.create(`obench${String(i % 50).padStart(23, '0')}`, {
      title: `c${i}`,
      at: at + i,
    });
    out.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return out.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

export async function main(count = Number(process.argv[2] ?? 1_000_000)): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tixing-scale-'));
  const server = await RedisServer.start({ dir, appendOnly: false });
  const logger = createLogger({ level: 'warn' });
  const sandbox = new WeChatSandbox({ appId: 'wx0000000000000000', appSecret: 'bench-secret-0123456789' });
  const apiBase = await sandbox.start();
  const base = loadConfig({ REDIS_URL: server.url, QUOTA_MODE: 'ignore', LOG_LEVEL: 'warn' });
  const config = (prefix: string) => ({
    ...base,
    redisPrefix: prefix,
    wx: { ...base.wx, appId: 'wx0000000000000000', appSecret: 'bench-secret-0123456789', apiBase },
  });
  const redis = await connectRedis(server.url, logger);
  try {
    const results: Record<string, number> = { pending: count };
    // Baseline: empty prefix.
    const empty = new Instance({ config: config('empty:'), redis, logger });
    await empty.start();
    await createLatencies(empty, 100); // warm-up
    const emptyLat = await createLatencies(empty, 1000);
    await empty.stop();

    const loadStarted = Date.now();
    await load(redis, new Keys('full:'), count, (i) => `ou${String(i % 100_000).padStart(26, '0')}`);
    results.loadSeconds = (Date.now() - loadStarted) / 1000;

    const rssBefore = process.memoryUsage().rss;
    const readyStarted = performance.now();
    const full = new Instance({ config: config('full:'), redis, logger });
    await full.start();
    results.startToReadyMs = Math.round(performance.now() - readyStarted);
    results.jobsHeld = full.scheduler.size;
    await createLatencies(full, 100);
    const fullLat = await createLatencies(full, 1000);
    results.rssMB = Math.round(process.memoryUsage().rss / 1e6);
    results.rssGrowthMB = Math.round((process.memoryUsage().rss - rssBefore) / 1e6);
    await full.stop();

    results.createP50EmptyMs = +pct(emptyLat, 0.5).toFixed(3);
    results.createP99EmptyMs = +pct(emptyLat, 0.99).toFixed(3);
    results.createP50FullMs = +pct(fullLat, 0.5).toFixed(3);
    results.createP99FullMs = +pct(fullLat, 0.99).toFixed(3);
    results.createP50Ratio = +(pct(fullLat, 0.5) / pct(emptyLat, 0.5)).toFixed(3);
    results.createP99Ratio = +(pct(fullLat, 0.99) / pct(emptyLat, 0.99)).toFixed(3);
    return results;
  } finally {
    await closeRedis(redis);
    await sandbox.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    (r) => console.table(r),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
