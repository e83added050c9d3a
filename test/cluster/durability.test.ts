import { userShardOf } from '../../src/store/keys';
import { useSandboxOnCluster } from '../support/cluster';
import { api, bearer, login, uniquePrefix, waitFor, type TestInstance } from '../support/harness';

// REDIS_WAIT_REPLICAS=1 on a real 3 + 3 cluster: a create answered 201 has reached a replica
// (WAIT on the connection that wrote it), so a master's kill -9 and its replica's promotion lose
// none of them; one the replica could not confirm is answered 503 instead.
const WAIT_TIMEOUT_MS = 300;
const TUNING = { backoffBaseMs: 20, sweepIntervalMs: 200, leaseMs: 3000, drainTimeoutMs: 2000 };
const env = useSandboxOnCluster();

const start = (redisPrefix = uniquePrefix()): Promise<TestInstance> =>
  env.start({
    config: {
      redisUrl: env.cluster.url,
      redisPrefix,
      redisWaitReplicas: 1,
      redisWaitTimeoutMs: WAIT_TIMEOUT_MS,
      sendConcurrency: 16,
    },
    tuning: TUNING,
  });

/** The redis-server process of the replica of the master that holds `user`'s shard. */
async function replicaOf(t: TestInstance, user: string) {
  const shard = userShardOf(env.sandbox.openIdFor(user), t.instance.keys.dueShards);
  const masterPort = await env.cluster.masterPortOf(t.instance.keys.due(shard));
  const nodes = await env.cluster.describe();
  const master = nodes.find((n) => n.port === masterPort);
  const replica = nodes.find((n) => n.role === 'replica' && n.masterId === master?.id);
  const server = env.cluster.nodes.find((node) => node.port === replica?.port);
  if (!server?.pid) throw new Error(`no running replica of master ${masterPort}`);
  return server;
}

describe('REDIS_WAIT_REPLICAS=1 on Redis Cluster', () => {
  it('answers a create 503 write_not_replicated within the timeout while the replica cannot acknowledge', async () => {
    const t = await start();
    const token = await login(t, 'uma#1');
    const at = Date.now() + 3_600_000; // one body per key: a retry must be the same request
    const create = (title: string, key: string) =>
      api(t).post('/api/reminders').set(bearer(token)).set('Idempotency-Key', key).send({ title, at });
    // Positive control: the same create with the replica answering is a 201.
    expect((await create('before', 'k-before')).status).toBe(201);

    const replica = await replicaOf(t, 'uma');
    process.kill(replica.pid as number, 'SIGSTOP');
    let stalled;
    const started = Date.now();
    try {
      stalled = await create('stalled', 'k-stalled');
    } finally {
      process.kill(replica.pid as number, 'SIGCONT');
    }
    const took = Date.now() - started;
    expect(stalled.status).toBe(503);
    expect(stalled.body).toMatchObject({ errcode: 50307 });
    expect(stalled.body.errmsg).toMatch(/may or may not survive a failover.*Idempotency-Key/);
    expect(took).toBeGreaterThanOrEqual(WAIT_TIMEOUT_MS - 20);
    expect(took).toBeLessThan(WAIT_TIMEOUT_MS + 1500);

    // The retry the message invites, once the replica is back: the same reminder, confirmed.
    await waitFor(async () => (await create('stalled', 'k-stalled')).status === 201, {
      timeoutMs: 10_000,
      everyMs: 200,
      what: 'the retried create confirmed once the replica answers',
    });
    const list = await api(t).get('/api/reminders').set(bearer(token));
    const titles = (list.body.data.items as { title: string }[]).map((r) => r.title).sort();
    expect(titles).toEqual(['before', 'stalled']);
  }, 30_000);

  it('never answers 201 to a create that a master kill then loses: each is read back and fires', async () => {
    const t = await start();
    const users = ['ana', 'ben', 'cai', 'dov', 'eve', 'fay', 'gus', 'hal'];
    const tokens = await Promise.all(users.map((u) => login(t, `${u}#1`)));
    const due = Date.now() + 20_000; // after the loop, which ends a few seconds after the promotion
    const answers: { status: number; errcode?: number; token: string; id?: string; title: string }[] = [];
    let stop = false;
    let n = 0;
    const loop = async () => {
      while (!stop) {
        const i = n++; // every lane takes the next user in turn: all of them stay in the loop
        const token = tokens[i % tokens.length] as string;
        const title = `d${i}`;
        const res = await api(t).post('/api/reminders').set(bearer(token)).send({ title, at: due });
        answers.push({
          status: res.status,
          errcode: res.body?.errcode,
          token,
          id: res.body?.data?.id,
          title,
        });
      }
    };
    const lanes = Promise.all([1, 2, 3, 4].map(loop));
    await waitFor(() => answers.filter((a) => a.status === 201).length >= 100, {
      timeoutMs: 10_000,
      what: 'creates under way',
    });
    const { promoted } = await env.cluster.killMaster();
    expect(promoted).toBeGreaterThan(0);
    const atPromotion = answers.length;
    // Once the client follows the new topology, the promoted master (no replica left) is asked
    // for WAIT and cannot confirm: its shards' creates answer 503 rather than a 201 WAIT could
    // not stand behind.
    await waitFor(() => answers.slice(atPromotion).some((a) => a.errcode === 50307), {
      timeoutMs: 15_000,
      what: 'a create on the promoted master refused as not replicated',
    });
    stop = true;
    await lanes;

    // Only two answers: confirmed, or 503 (Redis unreachable mid-failover, or not replicated).
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201, 503]));

    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThan(100);
    for (const a of created) {
      const res = await api(t).get(`/api/reminders/${a.id}`).set(bearer(a.token));
      expect({ title: a.title, status: res.status }).toEqual({ title: a.title, status: 200 });
    }
    const wanted = new Set(created.map((a) => a.title));
    const sentTitles = () => new Set(env.sandbox.sent.map((m) => m.data.thing1?.value));
    await waitFor(() => [...wanted].every((title) => sentTitles().has(title)), {
      timeoutMs: due - Date.now() + 20_000,
      what: `every confirmed reminder sent (${wanted.size})`,
    });
    // No master died while sending: no occurrence went out twice.
    const confirmedSends = env.sandbox.sent.filter((m) => wanted.has(m.data.thing1?.value ?? ''));
    expect(confirmedSends.length).toBe(wanted.size);
  }, 60_000);
});
