/**
 * `node --expose-gc --import tsx drills/bad-input-memory.ts [requests]`: the memory half of the
 * bad-input drill (issue 11). One in-process instance on a private redis-server and the sandbox,
 * 100,000 distinct bad requests over loopback HTTP (time zones in every letter case, unknown
 * zones, impossible dates, control characters, broken Content-Encoding, unknown templates), and
 * the process's RSS and heap before and after, each after a full GC. Prints a table and the JSON
 * of every figure; docs/BENCHMARKS.md quotes them. Not a jest test: a memory figure on a shared
 * 2-core box needs a process of its own and a forced GC.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../src/config';
import { RedisServer } from '../src/infra/redis-server';
import { Instance } from '../src/instance';
import { createLogger } from '../src/logger';
import { WeChatSandbox } from '../src/sandbox/wechat-sandbox';
import { closeRedis, connectRedis } from '../src/store/redis';
import { login } from '../lab/login';

const APPID = 'wx00000000000000b1';
const SECRET = 'drill-secret-0123456789abcdef';
const PREFIX = 'drill:';
const CONCURRENCY = 16;
const WARM_UP = 5_000;

type Gc = () => void;

interface Sample {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

function sample(): Sample {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external) };
}

interface BadRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const ZONES = Intl.supportedValuesOf('timeZone');

/** The i-th spelling of a zone in mixed case: distinct for every i below 2^letters. */
function caseVariant(zone: string, i: number): string {
  let bit = 0;
  return [...zone]
    .map((c) => {
      if (!/[a-z]/i.test(c)) return c;
      const upper = (i >> bit++) & 1;
      return upper ? c.toUpperCase() : c.toLowerCase();
    })
    .join('');
}

function json(kind: string, p: string, token: string, body: unknown, extra: Record<string, string> = {}) {
  return {
    kind,
    method: 'POST',
    path: p,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...extra },
    body: Buffer.from(JSON.stringify(body)),
  };
}

/** The n-th bad request: every one distinct, so a cache keyed by input would grow with n. */
function badRequest(n: number, token: string): BadRequest {
  const past = Date.now() - 60_000;
  const zone = ZONES[n % ZONES.length] ?? 'Asia/Shanghai';
  switch (n % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
      // The attack: a valid zone in another letter case, on a request that ends in 400.
      return json('zone-case', '/api/reminders', token, {
        title: 't',
        at: past,
        timezone: caseVariant(zone, Math.floor(n / ZONES.length) + 1),
      });
    case 5:
      return json('zone-unknown', '/api/reminders', token, {
        title: 't',
        repeat: { daily: '08:00' },
        timezone: `Nowhere/Zone${n}`,
      });
    case 6:
      return json('date', '/api/reminders', token, {
        title: 't',
        at: `2027-02-${29 + (n % 3)}T${String(n % 24).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}+08:00`,
        timezone: caseVariant('Asia/Shanghai', n % 2048),
      });
    case 7:
      return json('text', '/api/reminders', token, {
        title: `t\u0000${n}\u001b`,
        detail: `\ud800${n}`,
        at: Date.now() + 3_600_000,
        timezone: `Etc/GMT+${n}`,
      });
    case 8:
      return {
        kind: 'encoding',
        method: 'POST',
        path: '/api/login',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': n % 20 === 8 ? 'gzip' : `x-${n}` },
        body: n % 20 === 8 ? gzipSync(`{"code":"${n}"}`).subarray(0, 12) : Buffer.from(`{"code":"${n}"}`),
      };
    default:
      return json(
        'template',
        '/api/subscriptions',
        token,
        { errMsg: 'requestSubscribeMessage:fail', [`tpl${n}`]: 'accept' },
        { 'Idempotency-Key': `k${n}` },
      );
  }
}

function send(agent: http.Agent, port: number, r: BadRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

async function run(
  agent: http.Agent,
  port: number,
  from: number,
  count: number,
  token: string,
  statuses: Map<string, number>,
) {
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const r = badRequest(next++, token);
      const status = await send(agent, port, r);
      const key = `${r.kind} ${status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

export async function badInputMemory(requests = 100_000) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tixing-bad-input-'));
  const redisServer = await RedisServer.start({ dir, appendOnly: false });
  const logger = createLogger({ level: 'silent' });
  const redis = await connectRedis(redisServer.url, logger, 'drill');
  const sandbox = new WeChatSandbox({ appId: APPID, appSecret: SECRET });
  const sandboxUrl = await sandbox.start(0, '127.0.0.1');
  const config = loadConfig({
    REDIS_URL: redisServer.url,
    REDIS_PREFIX: PREFIX,
    WX_APPID: APPID,
    WX_APPSECRET: SECRET,
    WX_API_BASE: sandboxUrl,
    QUOTA_MODE: 'ignore',
    LOG_LEVEL: 'silent',
  });
  const instance = new Instance({ config, redis, logger, tuning: { processMetrics: false } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    await instance.start();
    const { port } = await instance.listen(0, '127.0.0.1');
    const token = await login(`http://127.0.0.1:${port}`, 'drill#1');
    const statuses = new Map<string, number>();
    const keysBefore = await redis.dbSize();
    // Warm-up: the legitimate caches (zones in their own spelling, formatters, JIT) fill here.
    await run(agent, port, 0, WARM_UP, token, new Map());
    const before = sample();
    const started = Date.now();
    await run(agent, port, WARM_UP, requests, token, statuses);
    const seconds = (Date.now() - started) / 1000;
    const after = sample();
    const keysAfter = await redis.dbSize();
    const fivexx = [...statuses].filter(([k]) => / 5\d\d$/.test(k)).reduce((n, [, v]) => n + v, 0);
    const figures = {
      requests,
      seconds: Math.round(seconds * 10) / 10,
      perSecond: Math.round(requests / seconds),
      before,
      after,
      rssGrowthPct: Math.round(((after.rssMb - before.rssMb) / before.rssMb) * 1000) / 10,
      heapGrowthPct: Math.round(((after.heapUsedMb - before.heapUsedMb) / before.heapUsedMb) * 1000) / 10,
      fivexx,
      redisKeysAdded: keysAfter - keysBefore,
      statuses: Object.fromEntries([...statuses].sort()),
    };
    console.table({ before, after });
    console.log(JSON.stringify(figures, null, 2));
    return figures;
  } finally {
    agent.destroy();
    await instance.stop();
    await closeRedis(redis).catch(() => undefined);
    await sandbox.stop().catch(() => undefined);
    await redisServer.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  badInputMemory(Number(process.argv[2] ?? 100_000)).then(
    () => process.exit(0),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
