import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { sweepControl, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { FAST_TUNING } from './delivery-helpers';

// Three app instances sharing one Redis prefix (one deployment) and one sandbox (one WeChat app),
// fresh for each test (and the sandbox's counters reset) so that the token counts start from zero.
// WeChat calls keep the default 5 s timeout: three instances in one busy process stall the event
// loop past 300 ms, and a send that timed out after the sandbox accepted it is sent again (a
// timeout cannot tell; docs/architecture.md#each-occurrence-is-sent-once).
// The claim lease is the product's default (30 s), not FAST_TUNING's 5 s: on a loaded 2-core
// machine three instances in one process can hold a claim (taken ahead, or answered and not yet
// recorded) past 5 s, and a lease that runs out lets another instance send it again.
const TUNING = { ...FAST_TUNING, wxTimeoutMs: 5000, leaseMs: 30_000 };
const env = useSandbox();
let sandbox: WeChatSandbox;
let instances: TestInstance[] = [];

beforeEach(async () => {
  ({ sandbox } = env);
  const redisPrefix = uniquePrefix();
  instances = [];
  for (let i = 0; i < 3; i++) {
    instances.push(await env.start({ config: { redisPrefix }, tuning: TUNING }));
  }
});

const USERS = ['ana', 'ben', 'cai', 'dov'];

/** Creates `count` one-shot reminders titled `m<i>` for four users, all due at `at` (ms). */
async function createMany(count: number, at: number): Promise<string[]> {
  const first = instances[0];
  if (!first) throw new Error('no instance');
  const ids: string[] = [];
  for (let start = 0; start < count; start += 100) {
    const batch = Array.from({ length: Math.min(100, count - start) }, (_, j) => start + j);
    const created = await Promise.all(
      batch.map((i) =>
        first.instance.reminders.create(sandbox.openIdFor(USERS[i % USERS.length] ?? 'ana'), {
          title: `m${i}`,
          at,
        }),
      ),
    );
    ids.push(...created.map((c) => String(c.reminder.id)));
  }
  return ids;
}

/** Each reminder's final status, read from Redis. */
async function statuses(ids: string[]): Promise<Map<string, number>> {
  const first = instances[0];
  if (!first) throw new Error('no instance');
  const counts = new Map<string, number>();
  for (const reminder of await first.instance.store.getMany(ids)) {
    const status = reminder?.status ?? 'absent';
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

function expectEachSentOnce(count: number): void {
  const titles = sandbox.sent.map((m) => m.data.thing1?.value);
  expect(titles).toHaveLength(count);
  expect(new Set(titles).size).toBe(count);
  expect(new Set(titles)).toEqual(new Set(Array.from({ length: count }, (_, i) => `m${i}`)));
}

// docs/architecture.md#one-access-token
describe('access_token central control with three instances', () => {
  it('sends 1,000 messages with exactly one stable_token fetch and each occurrence once', async () => {
    // Observe (not replace) the claims: each occurrence is claimed by exactly one instance.
    const claims = instances.map((t) => jest.spyOn(t.instance.store, 'claimMany'));
    const due = Date.now() + 5000; // creating 1,000 in batches takes a few seconds on a loaded machine
    const ids = await createMany(1000, due);
    expect(await instances[0]?.instance.store.dueCount()).toBe(1000);

    await waitFor(() => sandbox.sent.length >= 1000, { timeoutMs: 20_000, what: '1,000 sends' });
    await waitFor(async () => (await statuses(ids)).get('sent') === 1000, {
      what: '1,000 recorded outcomes',
    });

    expect(sandbox.stats.stableTokenFetches).toBe(1);
    expect(sandbox.stats.tokenFetches).toBe(0);
    expect(sandbox.stats.sendCalls).toBe(1000);
    expectEachSentOnce(1000);
    const batches = await Promise.all(claims.flatMap((spy) => spy.mock.results.map((r) => r.value)));
    expect(batches.flat().filter((r: { ok: boolean }) => r.ok)).toHaveLength(1000);
    // Stored for every instance with its expiry, to be refreshed 4 min before WeChat's 7200 s.
    const ttl = (await instances[0]?.redis.pTTL(instances[0].instance.keys.accessToken())) ?? 0;
    expect(ttl).toBeLessThanOrEqual((7200 - 240) * 1000);
    expect(ttl).toBeGreaterThan((7200 - 240 - 60) * 1000);
    // Counted per shard: the shards' counters of the day, summed, are the 1000 sends and nothing else.
    const day = new Date().toISOString().slice(0, 10);
    const first0 = instances[0];
    if (!first0) throw new Error('no instance');
    const counters = await Promise.all(
      Array.from({ length: first0.instance.keys.dueShards }, (_, shard) =>
        first0.redis.hGetAll(first0.instance.keys.sendStats(shard, day)),
      ),
    );
    const summed: Record<string, number> = {};
    for (const hash of counters)
      for (const [outcome, n] of Object.entries(hash)) summed[outcome] = (summed[outcome] ?? 0) + Number(n);
    expect(summed).toEqual({ sent: 1000 });
    // No send happens twice, even after a few more sweeps (of any instance: each sent a control).
    const [first] = instances;
    if (!first) throw new Error('no instance');
    const controls = await sweepControl(env, first, { times: 3 });
    expect(sandbox.stats.sendCalls - controls).toBe(1000);
  });

  it('replaces a revoked token with exactly one new fetch and still delivers every message', async () => {
    sandbox.faults.latencyMs = 5; // stretch the run so the revocation lands in the middle of it
    const ids = await createMany(300, Date.now() + 3000);

    await waitFor(() => sandbox.sent.length >= 60, {
      timeoutMs: 15_000,
      everyMs: 2,
      what: 'the first 60 sends',
    });
    sandbox.revokeTokens();
    const sentBeforeRevoke = sandbox.sent.length;
    expect(sentBeforeRevoke).toBeLessThan(300); // the revocation really happened mid-run

    await waitFor(async () => (await statuses(ids)).get('sent') === 300, {
      timeoutMs: 20_000,
      what: '300 recorded outcomes',
    });

    expect(sandbox.stats.stableTokenFetches).toBe(2);
    expectEachSentOnce(300);
    // Sends in flight with the old token were answered 40001 and retried with the new one.
    const first = instances[0];
    if (!first) throw new Error('no instance');
    const attempts = (await Promise.all(ids.map((id) => first.instance.store.deliveries(id)))).flat();
    const rejected = attempts.filter((a) => a.errcode === 40001);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((a) => a.result === 'retry')).toBe(true);
    expect(attempts.filter((a) => a.result === 'sent')).toHaveLength(300);
  });
});
