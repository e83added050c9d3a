import request from 'supertest';
import type { Config } from '../../src/config';
import { Instance, type InstanceDeps } from '../../src/instance';
import { closeRedis, connectRedis, type Redis } from '../../src/store/redis';
import { testConfig, type ConfigOverrides } from './config';
import { LogCapture } from './logs';

export interface TestInstance {
  instance: Instance;
  redis: Redis;
  config: Config;
  logs: LogCapture;
  now: () => number; // the instance's clock
  close(): Promise<void>;
}

/** How a test instance differs from the default one (see `useSandbox().start`). */
export interface InstanceOptions {
  config?: ConfigOverrides; // redisUrl: another redis-server than the shared test one
  now?: () => number; // the clock (TestClock.now); default Date.now
  tuning?: InstanceDeps['tuning'];
  templates?: InstanceDeps['templates']; // default: config/templates.json
  start?: boolean; // start the scheduler, default true
}

/** Deletes every key under a prefix (one DEL per key: on a cluster the keys live in many slots). */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    const keys = batch as unknown as string[];
    await Promise.all(keys.map((key) => redis.del(key)));
  }
}

/**
 * One app instance, wired as main.ts wires it, talking to WeChat at `wxBase`. Tests reach it
 * through `useSandbox().start()`, which also closes it.
 */
export async function startInstance(options: InstanceOptions & { wxBase: string }): Promise<TestInstance> {
  const config = testConfig({ ...options.config, wx: { apiBase: options.wxBase, ...options.config?.wx } });
  const logs = new LogCapture();
  const redis = await connectRedis(config.redisUrl ?? '', logs.logger, 'redis', {
    commandTimeoutMs: config.redisCommandTimeoutMs,
  });
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
    now: options.now ?? Date.now,
    async close() {
      await instance.stop();
      await dropPrefix(redis, config.redisPrefix).catch(() => undefined);
      await closeRedis(redis);
    },
  };
}

/** A supertest client of the instance's HTTP app (no port opened). */
export const api = (t: TestInstance) => request(t.instance.app.callback());
