import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config';

export const TEST_APPID = 'wx0123456789abcdef';
export const TEST_SECRET = 'sandbox-secret-0123456789abcdef';

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

/** The configuration of a test instance: the shared test Redis under a fresh prefix, `overrides` applied. */
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
    // TIXING_TEST_WAIT_REPLICAS=1 with TIXING_TEST_REDIS=cluster: every write WAITs for a replica.
    redisWaitReplicas: Number(process.env.TIXING_TEST_WAIT_REPLICAS ?? 0),
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
