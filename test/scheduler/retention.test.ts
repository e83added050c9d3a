import { Retention } from '../../src/scheduler/retention';
import {
  api,
  bearer,
  login,
  TestClock,
  uniquePrefix,
  useSandbox,
  waitFor,
  type TestInstance,
} from '../support/harness';
import { data, type ReminderView } from '../support/api-types';

// RETENTION_DAYS (docs/architecture.md#retention): finished and cancelled reminders and their
// delivery records are purged once unchanged for that long, with the user's indexes kept in step;
// pending ones never are.
const env = useSandbox();
const DAY_MS = 86_400_000;

async function create(t: TestInstance, auth: string, title: string, at: number): Promise<string> {
  const res = await api(t).post('/api/reminders').set(bearer(auth)).send({ title, at });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return data<ReminderView>(res).id;
}

async function cancel(t: TestInstance, auth: string, id: string): Promise<void> {
  const res = await api(t).delete(`/api/reminders/${id}`).set(bearer(auth));
  if (res.status !== 200) throw new Error(`delete answered ${res.status}`);
}

describe('retention', () => {
  it('purges finished and cancelled reminders older than RETENTION_DAYS, keeping recent and pending ones', async () => {
    const clock = new TestClock();
    const t = await env.start({
      config: { redisPrefix: uniquePrefix(), retentionDays: 30 },
      now: clock.now,
      tuning: { sweepIntervalMs: 100, retentionIntervalMs: 0 },
    });
    const { keys } = t.instance;
    const openid = env.sandbox.openIdFor('alice');
    let auth = await login(t, 'alice#1');
    const sent = await create(t, auth, 'sent long ago', Date.now() + 200);
    await waitFor(async () => (await t.instance.store.get(sent))?.status === 'sent', 5000);
    const cancelled = await create(t, auth, 'cancelled long ago', Date.now() + 10 * DAY_MS);
    await cancel(t, auth, cancelled);
    // Pending, and unchanged as long as the others: due in 300 days, so still ahead after the jump.
    const pending = await create(t, auth, 'still pending', Date.now() + 300 * DAY_MS);
    expect(await t.instance.store.deliveries(sent)).toHaveLength(1);

    clock.advance(31 * DAY_MS);
    auth = await login(t, 'alice#2'); // the first session ran out with the jump
    const recent = await create(t, auth, 'cancelled just now', clock.now() + DAY_MS);
    await cancel(t, auth, recent);

    await waitFor(async () => !(await t.redis.exists([keys.reminder(sent), keys.reminder(cancelled)])), 5000);
    expect(await t.redis.exists([keys.deliveries(sent)])).toBe(0);
    const list = await api(t).get('/api/reminders').set(bearer(auth));
    expect(list.body.data.items.map((r: { id: string }) => r.id)).toEqual([recent, pending]);
    expect(await t.redis.zRange(keys.userReminders(openid), 0, -1)).toEqual([pending, recent]);
    expect(await t.redis.sMembers(keys.userPending(openid))).toEqual([pending]);
    expect(await t.redis.zRange(keys.due(keys.reminderShard(pending)), 0, -1)).toEqual([pending]);
    expect(await t.instance.store.dueCount()).toBe(1);
    expect((await api(t).get(`/api/reminders/${sent}`).set(bearer(auth))).status).toBe(404);
    expect((await t.instance.store.get(pending))?.status).toBe('pending');
    expect((await t.instance.store.get(recent))?.status).toBe('cancelled');
  });

  it('lets several instances purge at once, each reminder once, in bounded batches', async () => {
    const redisPrefix = uniquePrefix();
    const [a, b] = await Promise.all([1, 2].map(() => env.start({ config: { redisPrefix }, start: false })));
    if (!a || !b) throw new Error('two instances');
    const openid = env.sandbox.openIdFor('bulk');
    const old = Date.now() - 40 * DAY_MS;
    const ids: string[] = [];
    for (let i = 0; i < 45; i += 1) {
      const fields = { openid, kind: 'reminder', title: `r${i}`, status: 'pending', updatedAt: String(old) };
      const { id } = await a.instance.store.create(openid, fields, old + DAY_MS, {
        pendingLimit: 500,
        idempotencyTtlSeconds: 60,
      });
      ids.push(id);
      // Every third one stays pending: never purged however old.
      if (i % 3 !== 0) await a.instance.store.cancel(openid, id, old);
    }
    const runners = [a, b].map(
      (t) => new Retention({ store: t.instance.store, retentionMs: 30 * DAY_MS, batchSize: 7 }),
    );
    // More runs than one pass over the 45 ids needs, all at once: only where a pass starts over do
    // two of them read the same ids.
    const runs = await Promise.all(
      Array.from({ length: 14 }, (_, i) => runners[i % 2]?.run() ?? Promise.reject(new Error())),
    );
    expect(runs.every((r) => r.examined <= 7)).toBe(true);
    expect(runs.reduce((sum, r) => sum + r.purged, 0)).toBe(30);
    const left = await a.redis.zRange(a.instance.keys.userReminders(openid), 0, -1);
    expect(left).toEqual(ids.filter((_, i) => i % 3 === 0));
    expect(await a.redis.sCard(a.instance.keys.userPending(openid))).toBe(15);
    for (const [i, id] of ids.entries()) {
      expect(await a.redis.exists([a.instance.keys.reminder(id)])).toBe(i % 3 === 0 ? 1 : 0);
    }
  });
});
