import { requestReload } from '../../src/scheduler/scheduler';
import { data, type ReminderView } from '../support/api-types';
import { useSandboxOnCluster } from '../support/cluster';
import {
  afterSweeps,
  api,
  bearer,
  login,
  uniquePrefix,
  waitFor,
  type TestInstance,
} from '../support/harness';

// The reminder core on a real Redis Cluster (3 masters + 3 replicas): the same HTTP contract as on
// one Redis, and a spike of due reminders sent exactly once by two instances sharing the cluster.
const TUNING = {
  backoffBaseMs: 20,
  sweepIntervalMs: 200,
  leaseMs: 5000,
  drainTimeoutMs: 2000,
  wxTimeoutMs: 5000,
};
const env = useSandboxOnCluster();

function start(redisPrefix = uniquePrefix()): Promise<TestInstance> {
  return env.start({ config: { redisUrl: env.cluster.url, redisPrefix }, tuning: TUNING });
}

describe('sessions on a Redis Cluster', () => {
  it('refuses at once, on both instances, a session that DELETE /api/me ended (no cache trusted)', async () => {
    const redisPrefix = uniquePrefix();
    const [a, b] = [await start(redisPrefix), await start(redisPrefix)];
    const token = await login(a, 'erin#1');
    const other = await login(b, 'finn#1');
    for (const t of [a, b]) {
      for (let i = 0; i < 3; i++)
        expect((await api(t).get('/api/reminders').set(bearer(token))).status).toBe(200);
    }
    expect((await api(a).delete('/api/me').set(bearer(token))).status).toBe(200);
    for (const t of [a, b]) {
      expect((await api(t).get('/api/reminders').set(bearer(token))).status).toBe(401);
      // positive control: another session, through the same instances, still works
      expect((await api(t).get('/api/reminders').set(bearer(other))).status).toBe(200);
      expect(t.instance.sessionCache.hits).toBe(0);
    }
  });
});

describe('reminders on a Redis Cluster', () => {
  it('creates, edits, lists and deletes through the API as on one Redis', async () => {
    const t = await start();
    expect(t.instance.keys).toBeDefined();
    const token = await login(t, 'ada#1');
    const created = await api(t)
      .post('/api/reminders')
      .set(bearer(token))
      .send({ title: '开会', at: Date.now() + 3_600_000 });
    expect(created.status).toBe(201);
    const id = data<ReminderView>(created).id;

    const edited = await api(t)
      .patch(`/api/reminders/${id}`)
      .set(bearer(token))
      .send({ title: '开会（改）' });
    expect(edited.status).toBe(200);
    const read = await api(t).get(`/api/reminders/${id}`).set(bearer(token));
    expect(data<ReminderView>(read).title).toBe('开会（改）');
    const listed = await api(t).get('/api/reminders').set(bearer(token));
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(id);

    expect((await api(t).delete(`/api/reminders/${id}`).set(bearer(token))).status).toBeLessThan(300);
    const after = await api(t).get(`/api/reminders/${id}`).set(bearer(token));
    expect(after.status === 404 || data<ReminderView>(after).status === 'cancelled').toBe(true);
  }, 30_000);

  it('tells the other instance of a create over sharded pub/sub, before any sweep', async () => {
    const redisPrefix = uniquePrefix();
    // Sweeps a minute apart: after its start, b can learn of the create only from the event.
    const slow = { ...TUNING, sweepIntervalMs: 60_000 };
    const a = await env.start({ config: { redisUrl: env.cluster.url, redisPrefix }, tuning: slow });
    const b = await env.start({ config: { redisUrl: env.cluster.url, redisPrefix }, tuning: slow });
    expect(b.instance.scheduler.size).toBe(0);
    await a.instance.reminders.create(env.sandbox.openIdFor('ivy'), {
      title: '事件',
      at: Date.now() + 600_000,
    });
    await waitFor(() => b.instance.scheduler.size === 1, {
      timeoutMs: 5000,
      what: 'b holding the new timer',
    });
    expect(a.instance.scheduler.size).toBe(1);
  }, 30_000);

  it('asks every instance to reload over sharded pub/sub (npm run reload-jobs) and hears each answer', async () => {
    const redisPrefix = uniquePrefix();
    const [a, b] = [await start(redisPrefix), await start(redisPrefix)];
    if (!a || !b) throw new Error('no instances');
    const replies = await requestReload(a.redis, a.instance.keys, 5000);
    expect(replies.map((r) => r.instance).sort()).toEqual([a.instance.id, b.instance.id].sort());
  }, 30_000);

  it('sends a spike of 1,000 due reminders exactly once with two instances', async () => {
    const redisPrefix = uniquePrefix();
    const [a, b] = [await start(redisPrefix), await start(redisPrefix)];
    if (!a || !b) throw new Error('no instances');
    const users = ['ana', 'ben', 'cai', 'dov', 'eve', 'fay', 'gus', 'hal'];
    // Time enough to create 1,000 on a loaded machine (a create of a past `at` is refused).
    const due = Date.now() + 10_000;
    const ids: string[] = [];
    for (let from = 0; from < 1000; from += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => from + j);
      const created = await Promise.all(
        batch.map((i) =>
          a.instance.reminders.create(env.sandbox.openIdFor(users[i % users.length] ?? 'ana'), {
            title: `m${i}`,
            at: due,
          }),
        ),
      );
      ids.push(...created.map((c) => String(c.reminder.id)));
    }
    expect(new Set(ids).size).toBe(1000);

    await waitFor(() => env.sandbox.sent.length >= 1000, {
      timeoutMs: due - Date.now() + 30_000,
      what: '1,000 sends',
    });
    // Both instances swept and could have sent a second copy: two more sweeps of each, then count.
    await Promise.all([afterSweeps(a), afterSweeps(b)]);
    const titles = env.sandbox.sent.map((m) => m.data.thing1?.value);
    expect(titles).toHaveLength(1000);
    expect(new Set(titles)).toEqual(new Set(Array.from({ length: 1000 }, (_, i) => `m${i}`)));
    const statuses = new Map<string, number>();
    for (const reminder of await a.instance.store.getMany(ids)) {
      const status = reminder?.status ?? 'absent';
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ sent: 1000 });
  }, 90_000);
});
