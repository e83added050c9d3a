import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RedisServer } from '../../src/infra/redis-server';

/**
 * One real redis-server for the whole run, on a free port, in a temp dir; every test file works
 * under its own key prefix. Tests that stop Redis start their own server instead.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tixing-test-redis-'));
  const server = await RedisServer.start({ dir, appendOnly: false });
  process.env.TIXING_TEST_REDIS_URL = server.url;
  process.env.TIXING_TEST_REDIS_DIR = dir;
  (globalThis as { __tixingRedis?: RedisServer }).__tixingRedis = server;
}
