import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import Router from '@koa/router';
import request from 'supertest';
import { createApp } from '../../src/http/app';
import type { AppContext, AppState } from '../../src/http/context';
import { createLogger } from '../../src/logger';

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info' }, destination), lines };
}

function appWith(logger: ReturnType<typeof createLogger>) {
  const router = new Router<AppState>();
  router.get('/quiet', (ctx: AppContext) => {
    ctx.body = { ok: true };
  });
  router.get('/chatty', (ctx: AppContext) => {
    ctx.state.log.info({ token: 'a-session-token', step: 'inside' }, 'route line');
    ctx.body = { ok: true };
  });
  return createApp({ logger, routers: [router] }).callback();
}

describe('the request log', () => {
  it('logs one line per request with its id, method, path without the query, and status', async () => {
    const { logger, lines } = memoryLogger();
    await request(appWith(logger)).get('/quiet?signature=s3cret').set('X-Request-Id', 'req-1').expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    const outcome = lines.filter((l) => l.msg === 'request');
    expect(outcome).toEqual([
      expect.objectContaining({ reqId: 'req-1', method: 'GET', path: '/quiet', status: 200 }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('makes no logger per request unless the request logs more than its outcome', async () => {
    const { logger, lines } = memoryLogger();
    const child = jest.spyOn(logger, 'child');
    const app = appWith(logger);
    const made = child.mock.calls.length; // the app's own, once
    for (let i = 0; i < 5; i++) await request(app).get('/quiet').expect(200);
    expect(child.mock.calls.length).toBe(made);
    // Positive control: a route that logs gets a logger bound to its request id, once.
    await request(app).get('/chatty').set('X-Request-Id', 'req-2').expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(child.mock.calls.length).toBe(made + 1);
    expect(lines.filter((l) => l.msg === 'request')).toHaveLength(6);
    expect(lines.find((l) => l.msg === 'route line')).toEqual(
      expect.objectContaining({ reqId: 'req-2', step: 'inside', token: '[redacted]' }),
    );
  });

  it('writes every line logged to stdout before the process exits, though stdout is written asynchronously', () => {
    const script =
      "const { createLogger } = require('./src/logger'); const log = createLogger();" +
      "for (let i = 0; i < 2000; i++) log.info({ i }, 'line'); process.exit(3);";
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.status).toBe(3);
    const logged = child.stdout.split('\n').filter((l) => l.includes('"msg":"line"'));
    expect(logged).toHaveLength(2000);
    expect(JSON.parse(logged[1999] ?? '{}').i).toBe(1999);
  });
});
