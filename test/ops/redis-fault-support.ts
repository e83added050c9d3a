import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import request from 'supertest';
import { RedisServer } from '../../src/infra/redis-server';

// The test's own hand on the server (CONFIG SET, filler keys), never the app's client.
const adminClient = (url: string) => createClient({ url });
type AdminClient = ReturnType<typeof adminClient>;

/**
 * A private redis-server for the fault tests (never the shared one: they pause it, fill it and
 * restart it), with the two hidden settings Redis's own test suite uses to make a load slow and
 * observable: `key-load-delay` (µs per key loaded) and a small `loading-process-events-interval-bytes`
 * (it answers LOADING while it loads, instead of nothing).
 */
export async function startFaultRedis(
  name: string,
  keyLoadDelayUs = 0,
): Promise<{
  server: RedisServer;
  dir: string;
  admin: AdminClient;
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(path.join(tmpdir(), `tixing-${name}-`));
  const server = await RedisServer.start({
    dir,
    args: ['--key-load-delay', String(keyLoadDelayUs), '--loading-process-events-interval-bytes', '1024'],
  });
  const admin = adminClient(server.url);
  admin.on('error', () => undefined);
  await admin.connect();
  return {
    server,
    dir,
    admin,
    async close() {
      const pid = server.pid;
      if (pid) process.kill(pid, 'SIGCONT'); // a failed stall test may leave it paused
      await admin.close().catch(() => admin.destroy());
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A request's answer and how long it took; `status` 0 when no answer came within `limitMs`. */
export async function timed(
  req: request.Test,
  limitMs = 8000,
): Promise<{
  status: number;
  body: { errcode?: number; errmsg?: string; data?: Record<string, unknown> };
  ms: number;
}> {
  const started = Date.now();
  try {
    const res = await req.timeout(limitMs);
    return { status: res.status, body: res.body as never, ms: Date.now() - started };
  } catch {
    return { status: 0, body: {}, ms: Date.now() - started };
  }
}
