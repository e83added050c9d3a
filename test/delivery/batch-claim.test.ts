import { ReminderOccurrences } from '../../src/delivery/kinds/reminder';
import { DELIVERIES_KEPT, type ReminderStore } from '../../src/store/reminder-store';
import { loadTemplates } from '../../src/wechat/templates';
import { api, bearer, login, uniquePrefix, useSandbox, type TestInstance } from '../support/harness';
import { data, type ReminderView } from '../support/api-types';

// A burst of due occurrences is claimed in one script call (claim-occurrences.lua), each once,
// only while pending and due at that slot.
const env = useSandbox();

async function create(t: TestInstance, auth: string, title: string, at: number): Promise<string> {
  const res = await api(t).post('/api/reminders').set(bearer(auth)).send({ title, at });
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return data<ReminderView>(res).id;
}

describe('batch claim', () => {
  it('claims many occurrences in one call with the same rules as one claim: stale, busy and ok each', async () => {
    const t = await env.start({ config: { redisPrefix: uniquePrefix() } });
    const auth = await login(t, 'alice');
    const at = Date.now() + 3600_000; // far enough that no timer fires during the test
    const [a, b, c] = [
      await create(t, auth, 'a', at),
      await create(t, auth, 'b', at),
      await create(t, auth, 'c', at),
    ];
    const slot = (await t.instance.store.get(a as string))?.nextFireAt as number;
    await api(t)
      .delete(`/api/reminders/${c as string}`)
      .set(bearer(auth));

    const results = await t.instance.store.claimMany(
      [
        { id: a as string, slot, owner: 'one' },
        { id: a as string, slot, owner: 'two' }, // the same occurrence again: held already
        { id: b as string, slot: slot + 1, owner: 'one' }, // not due at that slot
        { id: c as string, slot, owner: 'one' }, // cancelled
        { id: b as string, slot, owner: 'two' },
      ],
      30_000,
    );
    expect(results.map((r) => (r.ok ? `ok:${r.reminder.title}` : r.reason))).toEqual([
      'ok:a',
      'busy',
      'stale',
      'stale',
      'ok:b',
    ]);
    expect(await t.instance.store.releaseClaim(a as string, slot, 'two')).toBe(false);
    expect(await t.instance.store.releaseClaim(a as string, slot, 'one')).toBe(true);
  });

  it('records many outcomes in one call with their attempts, each only by its claim owner and moving on only if not re-timed', async () => {
    const t = await env.start({ config: { redisPrefix: uniquePrefix() } });
    const auth = await login(t, 'alice');
    const at = Date.now() + 3600_000;
    const [a, b, c] = [
      await create(t, auth, 'a', at),
      await create(t, auth, 'b', at),
      await create(t, auth, 'c', at),
    ];
    const { store, keys } = t.instance;
    const slot = (await store.get(a as string))?.nextFireAt as number;
    const claimed = await store.claimMany(
      [a, b, c].map((id) => ({ id: id as string, slot, owner: 'me' })),
      30_000,
    );
    expect(claimed.every((r) => r.ok)).toBe(true);
    await t.redis.zAdd(keys.due(keys.reminderShard(c as string)), {
      score: slot + 60_000,
      value: c as string,
    }); // re-timed meanwhile
    const now = Date.now();
    const lastResult = { at: new Date(now).toISOString(), errcode: 0, errmsg: 'ok', msgid: null };
    const finish = (id: string, owner: string) => ({
      id,
      openid: (claimed[0] as { ok: true; reminder: { openid: string } }).reminder.openid,
      slot,
      owner,
      status: 'sent' as const,
      lastResult,
      nextSlot: null,
      now,
      msgid: null,
      attempt: {
        occurrence: `${id}:${slot}`,
        attempt: 1,
        at: lastResult.at,
        latencyMs: 3,
        errcode: 0,
        errmsg: 'ok',
        msgid: null,
        result: 'sent' as const,
      },
    });
    const results = await store.finishMany([
      finish(a as string, 'me'),
      finish(b as string, 'other'),
      finish(c as string, 'me'),
    ]);
    expect(results).toEqual(['ok', 'lost', 'retimed']);
    expect((await store.get(a as string))?.status).toBe('sent');
    expect((await store.get(b as string))?.status).toBe('pending'); // not ours: untouched
    expect((await store.get(c as string))?.status).toBe('pending');
    expect(await t.redis.zScore(keys.due(keys.reminderShard(c as string)), c as string)).toBe(slot + 60_000);
    // Each outcome's own attempt joined its delivery list in the same call, the claim's owner or not.
    for (const id of [a, b, c] as string[]) {
      expect(await store.deliveries(id)).toEqual([finish(id, 'me').attempt]);
    }
  });

  it('keeps each delivery list to its newest DELIVERIES_KEPT attempts, through appends and finishes', async () => {
    const t = await env.start({ config: { redisPrefix: uniquePrefix() } });
    const auth = await login(t, 'alice');
    const id = await create(t, auth, 'capped', Date.now() + 3600_000);
    const { store } = t.instance;
    const slot = (await store.get(id))?.nextFireAt as number;
    const attempt = (n: number) => ({
      occurrence: `${id}:${slot}`,
      attempt: n,
      at: new Date().toISOString(),
      latencyMs: 1,
      errcode: -1,
      errmsg: 'system busy',
      msgid: null,
      result: 'retry' as const,
    });
    await store.appendDeliveries(
      Array.from({ length: DELIVERIES_KEPT + 5 }, (_, i) => ({ id, attempt: attempt(i + 1) })),
    );
    expect(await store.deliveries(id, 1000)).toHaveLength(DELIVERIES_KEPT);
    const [claimed] = await store.claimMany([{ id, slot, owner: 'me' }], 30_000);
    if (!claimed?.ok) throw new Error('the claim should have been won');
    const last = { ...attempt(DELIVERIES_KEPT + 6), errcode: 0, errmsg: 'ok', result: 'sent' as const };
    await store.finishMany([
      {
        id,
        openid: claimed.reminder.openid,
        slot,
        owner: 'me',
        status: 'sent',
        lastResult: { at: last.at, errcode: 0, errmsg: 'ok', msgid: null },
        nextSlot: null,
        now: Date.now(),
        msgid: null,
        attempt: last,
      },
    ]);
    const kept = await store.deliveries(id, 1000);
    expect(kept).toHaveLength(DELIVERIES_KEPT);
    expect(kept[0]).toEqual(last); // newest first
    expect(kept.at(-1)?.attempt).toBe(7); // the oldest six went
  });

  it('sends the claims asked for in one turn to Redis as one call, each caller getting its own answer', async () => {
    const calls: number[] = [];
    const store = {
      claimMany: (claims: { id: string }[]) => {
        calls.push(claims.length);
        return Promise.resolve(
          claims.map((c) => ({ ok: false as const, reason: c.id === '2' ? 'busy' : 'stale' })),
        );
      },
    } as unknown as ReminderStore;
    const kind = new ReminderOccurrences(store, loadTemplates(`${__dirname}/../../config/templates.json`));
    const answers = await Promise.all(['1', '2', '3'].map((id) => kind.claim(id, 1000, 'me', 30_000)));
    expect(answers).toEqual([null, null, null]);
    expect(calls).toEqual([3]);
    await kind.claim('4', 1000, 'me', 30_000); // a later turn: its own call
    expect(calls).toEqual([3, 1]);
  });
});
