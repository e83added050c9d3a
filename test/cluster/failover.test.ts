import { nodeClients } from '../../src/store/redis';
import { useSandboxOnCluster } from '../support/cluster';
import { uniquePrefix, waitFor, type TestInstance } from '../support/harness';

// A master killed (kill -9) in the middle of a spike, its replica promoted by the cluster: every
// reminder the replicas had (WAIT before the spike) is still sent, sending resumes by itself, and
// copies sent twice stay within the crash window (an outcome or claim the dead master acknowledged
// but had not replicated is found again by a sweep and sent once more).
const TUNING = {
  backoffBaseMs: 20,
  sweepIntervalMs: 200,
  leaseMs: 3000,
  drainTimeoutMs: 2000,
  wxTimeoutMs: 5000,
};
const COUNT = 1000;
const env = useSandboxOnCluster();

it('sends every reminder of a spike after a master is killed mid-spike, by itself', async () => {
  const redisPrefix = uniquePrefix();
  const start = (): Promise<TestInstance> =>
    env.start({ config: { redisUrl: env.cluster.url, redisPrefix, sendConcurrency: 16 }, tuning: TUNING });
  const [a, b] = [await start(), await start()];
  if (!a || !b) throw new Error('no instances');
  const users = ['ana', 'ben', 'cai', 'dov', 'eve', 'fay', 'gus', 'hal'];
  // Time enough to create them all on a loaded machine (a create of a past `at` is refused).
  const due = Date.now() + 10_000;
  for (let from = 0; from < COUNT; from += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) => from + j).map((i) =>
        a.instance.reminders.create(env.sandbox.openIdFor(users[i % users.length] ?? 'ana'), {
          title: `m${i}`,
          at: due,
        }),
      ),
    );
  }
  // What tixing can promise across a failover: writes every master's replica acknowledged.
  for (const node of await nodeClients(a.redis))
    expect(await node.sendCommand(['WAIT', '1', '2000'])).toBe(1);

  await waitFor(() => env.sandbox.sent.length >= COUNT / 5, {
    timeoutMs: due - Date.now() + 20_000,
    what: 'the spike under way',
  });
  const sentAtKill = env.sandbox.sent.length;
  const { promoted } = await env.cluster.killMaster();
  // The kill landed mid-spike: sends were still to come when the master died.
  expect(sentAtKill).toBeLessThan(COUNT);
  expect(promoted).toBeGreaterThan(0);

  await waitFor(() => new Set(env.sandbox.sent.map((m) => m.data.thing1?.value)).size >= COUNT, {
    timeoutMs: 60_000,
    what: `every reminder sent (${sentAtKill} before the kill)`,
  });
  const titles = env.sandbox.sent.map((m) => m.data.thing1?.value);
  expect(new Set(titles)).toEqual(new Set(Array.from({ length: COUNT }, (_, i) => `m${i}`)));
  // Duplicates only from the crash window: at most what was in flight on both instances.
  expect(titles.length - COUNT).toBeLessThanOrEqual(2 * 16);
}, 150_000);
