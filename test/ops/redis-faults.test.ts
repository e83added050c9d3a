import request from 'supertest';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import {
  afterSweeps,
  login,
  sleep,
  useSandbox,
  waitFor,
  watchClaims,
  type TestInstance,
} from '../support/harness';
import { startFaultRedis, timed } from './redis-fault-support';

// Redis faults that are not an outage: a paused server (the socket stays open, nothing answers), a
// server loading its data after a restart (LOADING), a full one (OOM).
// docs/architecture.md#input-rules: a 503 within REDIS_COMMAND_TIMEOUT_MS and an honest
// /api/health, never a 500 or a hung request.
const TIMEOUT_MS = 600; // REDIS_COMMAND_TIMEOUT_MS of these instances
const MARGIN_MS = 700;
const KEY_LOAD_DELAY_US = 300; // with 10,000 filler keys: a load of about 3 s
const TEMPLATE = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';

let redis: Awaited<ReturnType<typeof startFaultRedis>>;
let sandbox: WeChatSandbox;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

// Ahead of useSandbox's hooks, so that Redis is healed before they close the test's instances.
afterEach(async () => {
  const pid = redis.server.pid;
  if (pid) process.kill(pid, 'SIGCONT');
  await redis.admin.configSet('maxmemory', '0').catch(() => undefined);
  await redis.admin.sendCommand(['REPLICAOF', 'NO', 'ONE']).catch(() => undefined);
});
const env = useSandbox();

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startFaultRedis('redis-faults', KEY_LOAD_DELAY_US);
  ({ sandbox } = env);
});

afterAll(async () => {
  await redis.close();
  process.off('unhandledRejection', onUnhandled);
});

/** An instance on the fault server, its client failing commands after TIMEOUT_MS. */
function instance(leaseMs?: number): Promise<TestInstance> {
  return env.start({
    config: { redisUrl: redis.server.url, redisCommandTimeoutMs: TIMEOUT_MS },
    tuning: { sweepIntervalMs: 200, processMetrics: false, leaseMs },
  });
}

async function user(t: TestInstance, code: string) {
  const api = () => request(t.instance.app.callback());
  const auth = { Authorization: `Bearer ${await login(t, code)}` };
  return { api, auth };
}

const titles = (res: request.Response) => (res.body.data.items as { title: string }[]).map((r) => r.title);

describe('a stalled Redis (SIGSTOP)', () => {
  it('answers reads, writes, login and health with 503 within REDIS_COMMAND_TIMEOUT_MS, and serves again once Redis resumes', async () => {
    // A short lease: a claim sent during the pause is applied when Redis resumes, and holds its
    // occurrence until the lease runs out.
    const t = await instance(3000);
    const { api, auth } = await user(t, 'stall#1');
    const kept = await api()
      .post('/api/reminders')
      .set(auth)
      .send({ title: 'kept', at: Date.now() + 3600_000 });
    expect(kept.status).toBe(201);
    const dueAt = Date.now() + 1500;
    expect((await api().post('/api/reminders').set(auth).send({ title: 'due', at: dueAt })).status).toBe(201);

    const pid = redis.server.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      const [list, login, create, health] = await Promise.all([
        timed(api().get('/api/reminders').set(auth)),
        timed(api().post('/api/login').send({ code: 'stall#2' })),
        timed(
          api()
            .post('/api/reminders')
            .set(auth)
            .send({ title: 'during', at: Date.now() + 3600_000 }),
        ),
        timed(api().get('/api/health')),
      ]);
      for (const answer of [list, login, create]) {
        expect(answer).toMatchObject({
          status: 503,
          body: { errcode: 50301, errmsg: 'storage is unavailable, try again shortly' },
        });
        expect(answer.ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      }
      expect(health).toMatchObject({
        status: 503,
        body: { errcode: 50301, data: { redis: 'unresponsive' } },
      });
      expect(health.ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      // The reminder falls due during the pause: its timer fires and the attempt fails (nothing
      // can be read or claimed), nothing is sent, nothing crashes.
      await waitFor(() => t.instance.scheduler.size === 0 && t.instance.dispatcher.pending === 0);
      expect(Date.now()).toBeGreaterThanOrEqual(dueAt);
      expect(sandbox.sent).toHaveLength(0);
      expect(t.instance.scheduler.running).toBe(true);
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    await waitFor(async () => (await api().get('/api/health')).status === 200, {
      timeoutMs: 5000,
      everyMs: 100,
    });
    const after = await api().get('/api/reminders').set(auth);
    expect(after.status).toBe(200);
    expect(titles(after)).toContain('kept');
    // Sent once, within the lease of the claim the pause left behind.
    await waitFor(() => sandbox.sent.length >= 1, 8000);
    await afterSweeps(t);
    expect(sandbox.sent.map((m) => m.data.thing1?.value)).toEqual(['due']);
    expect(unhandled).toEqual([]);
  });
});

describe('a Redis loading its data after a restart (LOADING)', () => {
  it('answers 503 "loading" to requests and health until the data is in, never a 500, then serves it all', async () => {
    const t = await instance();
    const { api, auth } = await user(t, 'loading#1');
    const created = await api()
      .post('/api/reminders')
      .set(auth)
      .send({ title: 'kept', at: Date.now() + 3600_000 });
    expect(created.status).toBe(201);
    // Enough data that the load takes a few seconds (see startFaultRedis).
    const filler = redis.admin.multi();
    for (let i = 0; i < 10_000; i++) filler.set(`filler:${i}`, 'x');
    await filler.execAsPipeline();

    await redis.server.stop();
    let loaded = false;
    const restarted = redis.server.start().then(() => (loaded = true));
    type Answer = Awaited<ReturnType<typeof timed>>;
    const rounds: { list: Answer; login: Answer; health: Answer }[] = [];
    while (!loaded) {
      const [list, login, health] = await Promise.all([
        timed(api().get('/api/reminders').set(auth)),
        timed(
          api()
            .post('/api/login')
            .send({ code: `loading#${rounds.length + 2}` }),
        ),
        timed(api().get('/api/health')),
      ]);
      rounds.push({ list, login, health });
      await sleep(100);
    }
    await restarted;

    const answers = rounds.flatMap((r) => [r.list, r.login, r.health]);
    // Before the client reconnects: unreachable (50301); then loading (50304). Nothing else.
    expect(answers.filter((a) => a.status !== 503 && a.status !== 200)).toEqual([]);
    expect(answers.every((a) => a.ms < TIMEOUT_MS + MARGIN_MS)).toBe(true);
    const loading = rounds.filter((r) => r.list.body.errcode === 50304);
    expect(loading.length).toBeGreaterThan(0);
    expect(loading[0]?.list.body.errmsg).toBe('Redis is loading its data, try again shortly');
    expect(rounds.some((r) => r.login.body.errcode === 50304)).toBe(true);
    const health = rounds.find((r) => r.health.body.errcode === 50304)?.health;
    expect(health).toMatchObject({ status: 503, body: { data: { redis: 'loading', status: 'degraded' } } });

    await waitFor(async () => (await api().get('/api/health')).status === 200, {
      timeoutMs: 5000,
      everyMs: 100,
    });
    const after = await api().get('/api/reminders').set(auth);
    expect(after.status).toBe(200);
    expect(titles(after)).toEqual(['kept']);
    expect(unhandled).toEqual([]);
  }, 40_000);
});

describe('a full Redis (maxmemory reached, noeviction: OOM)', () => {
  it('answers 503 "out of memory" to writes and health, keeps serving reads, and sends what fell due once memory is back', async () => {
    const t = await instance();
    const { api, auth } = await user(t, 'oom#1');
    expect(
      (
        await api()
          .post('/api/reminders')
          .set(auth)
          .send({ title: 'kept', at: Date.now() + 3600_000 })
      ).status,
    ).toBe(201);
    const dueAt = Date.now() + 1000;
    expect((await api().post('/api/reminders').set(auth).send({ title: 'due', at: dueAt })).status).toBe(201);

    const claims = watchClaims(t);
    await redis.admin.configSet('maxmemory', '1');
    const outOfMemory = {
      status: 503,
      body: { errcode: 50305, errmsg: 'Redis is out of memory, try again later' },
    };
    const create = await timed(
      api()
        .post('/api/reminders')
        .set(auth)
        .send({ title: 'refused', at: Date.now() + 3600_000 }),
    );
    expect(create).toMatchObject(outOfMemory);
    expect(await timed(api().post('/api/login').send({ code: 'oom#2' }))).toMatchObject(outOfMemory);
    const report = { errMsg: 'requestSubscribeMessage:ok', [TEMPLATE]: 'accept' };
    expect(await timed(api().post('/api/subscriptions').set(auth).send(report))).toMatchObject(outOfMemory);
    const health = await timed(api().get('/api/health'));
    expect(health).toMatchObject({ status: 503, body: { errcode: 50305, data: { redis: 'out_of_memory' } } });
    // Reads need no memory: still served, and honestly so.
    const list = await api().get('/api/reminders').set(auth);
    expect(list.status).toBe(200);
    expect(titles(list).sort()).toEqual(['due', 'kept']);
    // The reminder falls due while writes are refused: its claim is tried and refused, so it is
    // not sent yet.
    await waitFor(async () => (await claims.outcomes()).includes('failed'));
    expect(sandbox.sent).toHaveLength(0);

    await redis.admin.configSet('maxmemory', '0');
    expect((await api().get('/api/health')).status).toBe(200);
    expect(
      (
        await api()
          .post('/api/reminders')
          .set(auth)
          .send({ title: 'after', at: Date.now() + 3600_000 })
      ).status,
    ).toBe(201);
    await waitFor(() => sandbox.sent.length >= 1, 5000);
    await afterSweeps(t);
    expect(sandbox.sent.map((m) => m.data.thing1?.value)).toEqual(['due']);
    expect(unhandled).toEqual([]);
  });
});

describe('a Redis that refuses writes (a read-only replica: READONLY; failed persistence: MISCONF)', () => {
  it('answers 503 "refuses writes" to writes and health, keeps serving reads, and sends what fell due once writes are back', async () => {
    const t = await instance();
    const { api, auth } = await user(t, 'readonly#1');
    const dueAt = Date.now() + 1000;
    expect((await api().post('/api/reminders').set(auth).send({ title: 'due', at: dueAt })).status).toBe(201);

    const claims = watchClaims(t);
    // A replica of a master that is not there: it keeps its data and refuses every write, as the
    // old master does after a failover when REDIS_URL still points at it.
    await redis.admin.sendCommand(['REPLICAOF', '127.0.0.1', '1']);
    const readOnly = {
      status: 503,
      body: { errcode: 50306, errmsg: 'storage refuses writes right now, try again later' },
    };
    const create = await timed(
      api()
        .post('/api/reminders')
        .set(auth)
        .send({ title: 'refused', at: Date.now() + 3600_000 }),
    );
    expect(create).toMatchObject(readOnly);
    expect(await timed(api().post('/api/login').send({ code: 'readonly#2' }))).toMatchObject(readOnly);
    const health = await timed(api().get('/api/health'));
    expect(health).toMatchObject({ status: 503, body: { errcode: 50306, data: { redis: 'read_only' } } });
    const list = await api().get('/api/reminders').set(auth);
    expect(list.status).toBe(200);
    expect(titles(list)).toEqual(['due']);
    // It falls due while writes are refused: the claim is tried and refused, nothing is sent yet.
    await waitFor(async () => (await claims.outcomes()).includes('failed'));
    expect(sandbox.sent).toHaveLength(0);

    await redis.admin.sendCommand(['REPLICAOF', 'NO', 'ONE']);
    expect((await api().get('/api/health')).status).toBe(200);
    await waitFor(() => sandbox.sent.length >= 1, 5000);
    await afterSweeps(t);
    expect(sandbox.sent.map((m) => m.data.thing1?.value)).toEqual(['due']);
    expect(unhandled).toEqual([]);
  });
});
