import { uniquePrefix, useSandbox } from '../support/harness';

// Reminder ids come from the owner's shard's counter (id = seq × DUE_SHARDS + shard), guessed by
// each instance and checked by create-reminder.lua: creates racing in one shard, from one
// instance or two, each get an id of their own, and a create that stores nothing takes none.
const env = useSandbox();

describe('reminder ids of a shard', () => {
  it('are handed out once each to creates racing in one shard from two instances', async () => {
    const redisPrefix = uniquePrefix();
    const [a, b] = await Promise.all([1, 2].map(() => env.start({ config: { redisPrefix }, start: false })));
    if (!a || !b) throw new Error('two instances');
    const keys = a.instance.keys;
    // Users of one shard: their creates all race for the same counter.
    const shard = keys.userShard(env.sandbox.openIdFor('u0'));
    const users = Array.from({ length: 400 }, (_, i) => env.sandbox.openIdFor(`u${i}`))
      .filter((openid) => keys.userShard(openid) === shard)
      .slice(0, 6);
    expect(users.length).toBeGreaterThan(2);
    const at = Date.now() + 3_600_000;
    const made = await Promise.all(
      Array.from({ length: 240 }, (_, i) =>
        [a, b][i % 2]!.instance.reminders.create(users[i % users.length]!, { title: `r${i}`, at }),
      ),
    );
    const ids = made.map((m) => m.reminder.id);
    expect(new Set(ids).size).toBe(240);
    for (const id of ids) expect(keys.reminderShard(id)).toBe(shard);
    // No id was skipped either: the counter stands at the 240 handed out.
    expect(await a.redis.get(keys.reminderShardSeq(shard))).toBe('240');
    const stored = await a.instance.store.getMany(ids);
    expect(stored.map((r) => r?.title)).toEqual(made.map((_, i) => `r${i}`));
  });

  it('are not taken by a create refused at the pending limit', async () => {
    const t = await env.start({ config: { redisPrefix: uniquePrefix() }, start: false });
    const openid = env.sandbox.openIdFor('limited');
    const shard = t.instance.keys.userShard(openid);
    const fields = { openid, kind: 'reminder', title: 'x', status: 'pending' };
    const options = { pendingLimit: 2, idempotencyTtlSeconds: 60 };
    const at = Date.now() + 3_600_000;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => t.instance.store.create(openid, fields, at, options)),
    );
    expect(answers.map((r) => r.outcome).sort()).toEqual(['limit', 'limit', 'limit', 'ok', 'ok']);
    expect(await t.redis.get(t.instance.keys.reminderShardSeq(shard))).toBe('2');
    // And the next create after them still finds its id at once.
    const next = await t.instance.store.create(openid, fields, at, { ...options, pendingLimit: 3 });
    expect(next).toMatchObject({ outcome: 'ok', id: t.instance.keys.reminderId(shard, 3) });
  });
});
