import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { RedisServer } from '../../src/infra/redis-server';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { startInstance, startSandbox, type TestInstance } from '../support/harness';

// This file runs its own redis-server so it can stop and restart it.
let redisServer: RedisServer;
let dir: string;
let sandbox: WeChatSandbox;
let t: TestInstance;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tixing-health-'));
  redisServer = await RedisServer.start({ dir });
  const started = await startSandbox();
  sandbox = started.sandbox;
  t = await startInstance({ wxBase: started.url, config: { redisUrl: redisServer.url } });
});

afterAll(async () => {
  await t.close();
  await sandbox.stop();
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
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await api().get('/api/health')).status;
    }
    expect(status).toBe(200);
  });
});
