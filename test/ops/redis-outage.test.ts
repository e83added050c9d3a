import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { RedisServer } from '../../src/infra/redis-server';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { requestReload } from '../../src/scheduler/scheduler';
import { afterSweeps, login, sleep, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, type ReminderView } from '../support/api-types';
import { parseMetrics, valueOf } from '../support/metrics-text';

// This file runs its own redis-server (AOF on) so it can stop it and start it again on the same
// port and data, while the app keeps running.
let redisServer: RedisServer;
let dir: string;
let sandbox: WeChatSandbox;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

// Ahead of useSandbox's hooks, so that Redis is back before they close the test's instances.
afterEach(async () => {
  await redisServer.start(); // a failed test may leave it stopped
});
const env = useSandbox();

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  dir = mkdtempSync(path.join(tmpdir(), 'tixing-outage-'));
  redisServer = await RedisServer.start({ dir });
  ({ sandbox } = env);
});

afterAll(async () => {
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
  process.off('unhandledRejection', onUnhandled);
});

function instance(tuning: { leaseMs?: number } = {}): Promise<TestInstance> {
  return env.start({
    config: { redisUrl: redisServer.url },
    tuning: { sweepIntervalMs: 200, processMetrics: false, ...tuning },
  });
}

/** Waits until the app's own client is connected again (its reconnect backoff is at most 2 s). */
async function healthy(t: TestInstance): Promise<void> {
  await waitFor(async () => (await request(t.instance.app.callback()).get('/api/health')).status === 200, {
    timeoutMs: 8000,
    everyMs: 100,
  });
}

describe('Redis lost while running', () => {
  it('answers 503 meanwhile, pauses the scheduler, and sends every due reminder once Redis is back, without a restart', async () => {
    const t = await instance();
    const api = () => request(t.instance.app.callback());
    const token = await login(t, 'outage#1');
    const auth = { Authorization: `Bearer ${token}` };
    const at = Date.now() + 3000;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api()
        .post('/api/reminders')
        .set(auth)
        .send({ title: `outage ${i}`, at });
      expect(res.status).toBe(201);
      ids.push(data<ReminderView>(res).id);
    }
    expect(t.instance.scheduler.size).toBe(5);

    // Redis goes away a second before the reminders are due and comes back a second after.
    await sleep(at - Date.now() - 1000);
    await redisServer.stop();
    const downAt = Date.now();

    const health = await api().get('/api/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ errcode: 50301, data: { redis: 'down', scheduler: 'running' } });
    const started = Date.now();
    const create = await api()
      .post('/api/reminders')
      .set(auth)
      .send({ title: 'while down', at: Date.now() + 60_000 });
    expect(create.status).toBe(503);
    expect(create.body).toMatchObject({
      errcode: 50301,
      errmsg: 'storage is unavailable, try again shortly',
    });
    // At once, not after the 2 s command timeout: commands fail while the connection is down.
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await api().get(`/api/reminders/${ids[0]}`).set(auth)).status).toBe(503);

    // The timers fire while Redis is down: no claim, no send, no crash.
    await sleep(at - Date.now() + 1000);
    // They did fire, and their occurrences were tried: the registry let go of them, nothing is queued.
    expect(t.instance.scheduler.size).toBe(0);
    expect(t.instance.dispatcher.pending).toBe(0);
    expect(sandbox.sent).toHaveLength(0);
    expect(t.instance.scheduler.running).toBe(true);
    await redisServer.start();
    expect(downAt).toBeLessThan(at - 500); // down from well before the due time to well after it
    expect(Date.now()).toBeGreaterThan(at + 500);

    // Back by itself: the first sweeps reload the due reminders and they are sent, late but within the grace.
    await waitFor(() => sandbox.sent.length >= 5, 10_000);
    await healthy(t);
    await afterSweeps(t); // the sweeps after the sends, which would find any occurrence left due
    const titles = sandbox.sent.map((m) => m.data.thing1?.value).sort();
    expect(titles).toEqual(ids.map((_, i) => `outage ${i}`));
    const reminders = await t.instance.store.getMany(ids);
    expect(reminders.every((r) => r?.status === 'sent' && r.fireCount === 1)).toBe(true);
    expect(
      (
        await api()
          .post('/api/reminders')
          .set(auth)
          .send({ title: 'after', at: Date.now() + 60_000 })
      ).status,
    ).toBe(201);

    // The scheduler's pub/sub subscriber is back too: a reload request over pub/sub gets its answer.
    const replies = await requestReload(t.redis, t.instance.keys, 3000);
    expect(replies.map((r) => r.instance)).toEqual([t.instance.id]);

    // The outage is on /metrics: connection errors, failed sweeps; the sends that followed.
    const samples = parseMetrics((await api().get('/metrics')).text);
    expect(valueOf(samples, 'tixing_redis_errors_total', { source: 'connection' })).toBeGreaterThan(0);
    expect(valueOf(samples, 'tixing_redis_errors_total', { source: 'sweep' })).toBeGreaterThan(0);
    expect(valueOf(samples, 'tixing_redis_errors_total', { source: 'dispatch' })).toBeGreaterThan(0);
    expect(valueOf(samples, 'tixing_sweep_duration_seconds_count', { result: 'error' })).toBeGreaterThan(0);
    expect(valueOf(samples, 'tixing_sends_total', { kind: 'reminder', result: 'sent', errcode: '0' })).toBe(
      5,
    );
    expect(unhandled).toEqual([]);
  });

  it('stops within its bound while Redis is down', async () => {
    const t = await instance();
    await redisServer.stop();
    const started = Date.now();
    await t.instance.stop();
    expect(Date.now() - started).toBeLessThan(10_000); // the drain bound
    expect(t.logs.text()).toContain('"sendsFinished":true'); // nothing was in flight to wait for
    expect(t.instance.scheduler.running).toBe(false);
    expect(unhandled).toEqual([]);
  });

  it('records a send WeChat answered while Redis was down once it is back, instead of sending it again', async () => {
    // A short lease: the outcome must still be written within it, though Redis is down for 2 s of it.
    const t = await instance({ leaseMs: 8000 });
    sandbox.faults.latencyMs = 1500;
    const openid = sandbox.openIdFor('midsend');
    const { reminder } = await t.instance.reminders.create(openid, {
      title: 'midsend',
      at: Date.now() + 300,
    });
    const id = reminder.id;

    // WeChat has the message; its answer comes 1.5 s later, while Redis is down.
    await waitFor(() => sandbox.sent.length === 1, { timeoutMs: 5000, everyMs: 10 });
    await redisServer.stop();
    await sleep(2000);
    await redisServer.start();

    const done = await waitFor(async () => {
      const r = await t.instance.store.get(id).catch(() => null);
      return r?.status === 'sent' ? r : undefined;
    }, 6000);
    expect(done.fireCount).toBe(1);
    expect(done.lastResult).toMatchObject({ errcode: 0, msgid: sandbox.sent[0]?.msgid });
    const deliveries = await t.instance.store.deliveries(id);
    expect(deliveries.map((d) => d.result)).toEqual(['sent']);

    // Nothing is left to send it again once the lease runs out: not due any more, no claim held,
    // and the sweeps after it find nothing.
    expect(await t.redis.zScore(t.instance.keys.due(t.instance.keys.reminderShard(id)), id)).toBeNull();
    expect(await t.redis.keys(`${t.config.redisPrefix}claim:*`)).toEqual([]);
    await afterSweeps(t);
    expect(sandbox.sent).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });
});
