import { rmSync } from 'node:fs';
import { createClient } from 'redis';
import type { RedisServer } from '../../src/infra/redis-server';
import type { TestCluster } from './cluster';
import { recordSlotAudit, slotAuditFile, UNDECLARED_KEYS_HASH } from '../../src/store/slot-audit';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __tixingRedis?: RedisServer }).__tixingRedis;
  if (server && slotAuditFile()) await collectUndeclaredKeys(server.url);
  await server?.stop();
  await (globalThis as { __tixingCluster?: TestCluster }).__tixingCluster?.stop();
  const dir = process.env.TIXING_TEST_REDIS_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** The audited scripts count undeclared keys in Redis (they cannot write files): into the audit file with the rest. */
async function collectUndeclaredKeys(url: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    const counts = await client.hGetAll(UNDECLARED_KEYS_HASH);
    for (const field of Object.keys(counts)) {
      const [script = '', command = '', key = ''] = field.split('|');
      recordSlotAudit({
        kind: 'script',
        script,
        keys: [key],
        slots: [],
        reason: `undeclared key (${command})`,
        at: '',
      });
    }
  } finally {
    await client.close();
  }
  process.stdout.write(`slot audit written to ${slotAuditFile()}\n`);
}
