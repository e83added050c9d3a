import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RedisServer } from '../../src/infra/redis-server';
import { SLOT_AUDIT_ENV } from '../../src/store/slot-audit';
import { TestCluster } from './cluster';

/**
 * One real redis-server for the whole run, on a free port, in a temp dir; every test file works
 * under its own key prefix. Tests that stop Redis start their own server instead.
 *
 * TIXING_TEST_REDIS=slot-check turns the slot audit on (src/store/slot-audit.ts): every script
 * whose keys span slots or that touches an undeclared key, every MULTI or multi-key command
 * spanning slots, is appended to TIXING_SLOT_AUDIT (default: slot-audit.jsonl in the server's
 * dir, named at the end). Nothing fails because of it: the tests run as on a single Redis.
 *
 * TIXING_TEST_REDIS=cluster: the shared Redis is a real Redis Cluster instead (3 masters, 3
 * replicas: test/support/cluster.ts), and TIXING_TEST_REDIS_URL lists its nodes, so every test
 * instance talks to it through the cluster client. Tests that start their own redis-server still
 * do (a single one).
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tixing-test-redis-'));
  if (process.env.TIXING_TEST_REDIS === 'cluster') {
    const cluster = await TestCluster.start();
    process.env.TIXING_TEST_REDIS_URL = cluster.url;
    process.env.TIXING_TEST_REDIS_DIR = dir;
    (globalThis as { __tixingCluster?: TestCluster }).__tixingCluster = cluster;
    return;
  }
  const server = await RedisServer.start({ dir, appendOnly: false });
  if (process.env.TIXING_TEST_REDIS === 'slot-check') {
    process.env[SLOT_AUDIT_ENV] ||= path.join(dir, 'slot-audit.jsonl');
  }
  process.env.TIXING_TEST_REDIS_URL = server.url;
  process.env.TIXING_TEST_REDIS_DIR = dir;
  (globalThis as { __tixingRedis?: RedisServer }).__tixingRedis = server;
}
