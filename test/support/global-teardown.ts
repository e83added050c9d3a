import { rmSync } from 'node:fs';
import type { RedisServer } from '../../src/infra/redis-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __tixingRedis?: RedisServer }).__tixingRedis;
  await server?.stop();
  const dir = process.env.TIXING_TEST_REDIS_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
