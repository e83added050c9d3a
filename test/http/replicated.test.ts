import { api, bearer, login, uniquePrefix, useSandbox, type TestInstance } from '../support/harness';

// REDIS_WAIT_REPLICAS on one Redis that has no replica: WAIT can never be satisfied, so every
// acknowledged write answers 503, while reads and refused requests are untouched. The positive
// control is the same request on an instance of the same data with REDIS_WAIT_REPLICAS=0.
const WAIT_TIMEOUT_MS = 100;
const env = useSandbox();
let plain: TestInstance;
let waiting: TestInstance;
let token: string;

beforeAll(async () => {
  const redisPrefix = uniquePrefix();
  plain = await env.start({ config: { redisPrefix, redisWaitReplicas: 0 } });
  waiting = await env.start({
    config: { redisPrefix, redisWaitReplicas: 1, redisWaitTimeoutMs: WAIT_TIMEOUT_MS },
  });
  token = await login(plain, 'ida#1');
});

// The test cluster has a replica per master (test/cluster/durability.test.ts covers WAIT there).
const onCluster = process.env.TIXING_TEST_REDIS === 'cluster';

(onCluster ? describe.skip : describe)('REDIS_WAIT_REPLICAS=1 without a replica', () => {
  const at = Date.now() + 3_600_000;

  it('answers a create 503 write_not_replicated after the WAIT timeout; without WAIT it is a 201', async () => {
    const control = await api(plain).post('/api/reminders').set(bearer(token)).send({ title: 'plain', at });
    expect(control.status).toBe(201);

    const started = Date.now();
    const res = await api(waiting).post('/api/reminders').set(bearer(token)).send({ title: 'waited', at });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      errcode: 50307,
      errmsg: expect.stringMatching(/may or may not survive a failover/),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_TIMEOUT_MS - 10);
  });

  it('never waits on a read, nor on a write it refused', async () => {
    const list = await api(waiting).get('/api/reminders').set(bearer(token));
    expect(list.status).toBe(200);
    // The 503 said "may or may not": on this Redis the write was made.
    expect((list.body.data.items as { title: string }[]).map((r) => r.title).sort()).toEqual([
      'plain',
      'waited',
    ]);
    const refused = await api(waiting).post('/api/reminders').set(bearer(token)).send({ title: '' });
    expect(refused.status).toBe(400);
  });

  it('answers a login 503 and hands out no session cookie or token', async () => {
    const res = await api(waiting).post('/api/login').send({ code: 'ida#2' });
    expect(res.status).toBe(503);
    expect(res.body.errcode).toBe(50307);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body.data).toBeUndefined();
  });
});
