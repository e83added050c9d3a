import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import type { Config } from '../../src/config';
import { Instance, type InstanceDeps } from '../../src/instance';
import { createLogger, type Logger } from '../../src/logger';
import { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { closeRedis, connectRedis, type Redis } from '../../src/store/redis';

export const TEST_APPID = 'wx0123456789abcdef';
export const TEST_SECRET = 'sandbox-secret-0123456789abcdef';

/** Log lines captured in memory so tests can read them (and check that no secret leaks). */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: Logger;

  constructor(level = process.env.TIXING_TEST_LOG_LEVEL ?? 'debug') {
    const lines = this.lines;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        if (process.env.TIXING_TEST_LOG) process.stderr.write(chunk);
        done();
      },
    });
    this.logger = createLogger({ level }, sink);
  }

  text(): string {
    return this.lines.join('');
  }
}

/** A key prefix no other test file uses. */
export function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}:`;
}

export function testRedisUrl(): string {
  const url = process.env.TIXING_TEST_REDIS_URL;
  if (!url) throw new Error('TIXING_TEST_REDIS_URL is unset: run the tests through jest (global setup)');
  return url;
}

export type ConfigOverrides = Omit<Partial<Config>, 'wx'> & { wx?: Partial<Config['wx']> };

export function testConfig(overrides: ConfigOverrides = {}): Config {
  const { wx, ...rest } = overrides;
  return {
    port: 0,
    host: '127.0.0.1',
    redisUrl: testRedisUrl(),
    redisPrefix: uniquePrefix(),
    adminToken: 'admin-token-for-tests-0123456789',
    defaultTimezone: 'Asia/Shanghai',
    sessionTtlSeconds: 3600,
    misfireGraceSeconds: 600,
    quotaMode: 'ignore',
    sendConcurrency: 32,
    logLevel: 'debug',
    redisCommandTimeoutMs: 2000,
    // Tests send hundreds of messages to one user; the cap's own tests set it low.
    userDailySendLimit: 100_000,
    retentionDays: 30,
    ...rest,
    wx: {
      appId: TEST_APPID,
      appSecret: TEST_SECRET,
      apiBase: 'http://127.0.0.1:1',
      templateId: '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w',
      miniprogramState: 'formal',
      token: undefined,
      aesKey: undefined,
      ...wx,
    },
  };
}

export async function startSandbox(): Promise<{ sandbox: WeChatSandbox; url: string }> {
  const sandbox = new WeChatSandbox({ appId: TEST_APPID, appSecret: TEST_SECRET });
  const url = await sandbox.start(0, '127.0.0.1');
  return { sandbox, url };
}

/** Deletes every key under a prefix. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    const keys = batch as unknown as string[];
    if (keys.length > 0) await redis.del(keys);
  }
}

export interface TestInstance {
  instance: Instance;
  redis: Redis;
  config: Config;
  logs: LogCapture;
  close(): Promise<void>;
}

/** One app instance on the shared test Redis (or `redisUrl`), talking to `wxBase`. */
export async function startInstance(options: {
  wxBase: string;
  config?: ConfigOverrides;
  now?: () => number;
  tuning?: InstanceDeps['tuning'];
  templates?: InstanceDeps['templates']; // default: config/templates.json
  start?: boolean; // start the scheduler, default true
}): Promise<TestInstance> {
  const config = testConfig({ ...options.config, wx: { apiBase: options.wxBase, ...options.config?.wx } });
  const logs = new LogCapture();
  const redis = await connectRedis(config.redisUrl ?? testRedisUrl(), logs.logger);
  const instance = new Instance({
    config,
    redis,
    logger: logs.logger,
    now: options.now,
    tuning: options.tuning,
    templates: options.templates,
  });
  if (options.start !== false) await instance.start();
  return {
    instance,
    redis,
    config,
    logs,
    async close() {
      await instance.stop();
      await dropPrefix(redis, config.redisPrefix).catch(() => undefined);
      await closeRedis(redis);
    },
  };
}

/** Logs in through the sandbox and returns the bearer token. */
export async function loginAs(t: TestInstance, code: string): Promise<string> {
  const res = await request(t.instance.app.callback()).post('/api/login').send({ code });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.token as string;
}

/** Polls `check` every `everyMs` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The lifecycle several files share: one sandbox for the file, and the instances a test starts
 * (pushed on `running`) closed after it, with the sandbox's records reset.
 */
export function useSandbox(): {
  readonly sandbox: WeChatSandbox;
  readonly url: string;
  running: TestInstance[];
} {
  let started: { sandbox: WeChatSandbox; url: string } | undefined;
  const running: TestInstance[] = [];
  beforeAll(async () => {
    started = await startSandbox();
  });
  afterEach(async () => {
    for (const t of running.splice(0)) await t.close();
    started?.sandbox.reset();
  });
  afterAll(async () => {
    await started?.sandbox.stop();
  });
  const get = () => {
    if (!started) throw new Error('useSandbox(): the sandbox starts in beforeAll');
    return started;
  };
  return {
    get sandbox() {
      return get().sandbox;
    },
    get url() {
      return get().url;
    },
    running,
  };
}
