import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { RedisServer } from '../../src/infra/redis-server';
import { useSandbox, waitFor, type TestInstance } from '../support/harness';

// This file runs its own redis-server so it can stop and restart it.
const env = useSandbox();
let redisServer: RedisServer;
let dir: string;
let t: TestInstance;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tixing-health-'));
  redisServer = await RedisServer.start({ dir });
  t = await env.start({ config: { redisUrl: redisServer.url } });
});

// useSandbox's hooks come first: the instance is closed before its Redis stops.
afterAll(async () => {
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/health', () => {
  it('answers 503 while Redis is down and 200 again once it is back, without a restart', async () => {
    const api = () => request(t.instance.app.callback());
    expect((await api().get('/api/health')).status).toBe(200);

    await redisServer.stop();
    const down = await api().get('/api/health');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ errcode: 50301, data: { redis: 'down' } });
    // Writes answer 503 too, promptly, rather than hanging.
    const login = await api().post('/api/login').send({ code: 'zoe#1' });
    expect(login.status).toBe(503);

    await redisServer.start();
    const status = await waitFor(
      async () => {
        const res = await api().get('/api/health');
        return res.status === 200 && res.status;
      },
      { timeoutMs: 10_000, everyMs: 200, what: 'health to answer 200' },
    );
    expect(status).toBe(200);
  });
});
