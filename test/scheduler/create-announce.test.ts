import { uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';

const lab = useSandbox();

async function pair(creatorStarted: boolean): Promise<[TestInstance, TestInstance]> {
  const redisPrefix = uniquePrefix();
  const creator = await lab.start({ config: { redisPrefix }, start: creatorStarted });
  const other = await lab.start({ config: { redisPrefix } });
  return [creator, other];
}

/** How many PUBLISH and EVALSHA/EVAL commands `t`'s own Redis client sends while `work` runs. */
async function countCommands(t: TestInstance, work: () => Promise<unknown>) {
  const publish = jest.spyOn(t.redis, 'publish');
  const evalSha = jest.spyOn(t.redis, 'evalSha');
  const evalSource = jest.spyOn(t.redis, 'eval');
  try {
    await work();
    return {
      publish: publish.mock.calls.length,
      scripts: evalSha.mock.calls.length + evalSource.mock.calls.length,
    };
  } finally {
    publish.mockRestore();
    evalSha.mockRestore();
    evalSource.mockRestore();
  }
}

describe('a create announces its schedule change from its own script', () => {
  it('makes one script call and no separate PUBLISH, and every running instance holds the job', async () => {
    const [creator, other] = await pair(true);
    const openid = lab.sandbox.openIdFor('announce');
    const at = Date.now() + 60_000;
    // Loads the script into Redis's cache first, so the count is of a create's usual round trips.
    await creator.instance.reminders.create(openid, { title: 'warm-up', at });
    let id = '';
    const counts = await countCommands(creator, async () => {
      ({
        reminder: { id },
      } = await creator.instance.reminders.create(openid, { title: 'announced', at }));
    });
    expect(counts).toEqual({ publish: 0, scripts: 1 });
    // The creator holds its job at once; the other instance learns of it over pub/sub.
    expect(creator.instance.scheduler.registry.has(id)).toBe(true);
    await waitFor(() => other.instance.scheduler.registry.has(id), { timeoutMs: 1000, everyMs: 5 });
  });

  it('leaves the job to the others when the creating instance is not scheduling', async () => {
    const [creator, other] = await pair(false);
    const openid = lab.sandbox.openIdFor('announce-idle');
    const { reminder } = await creator.instance.reminders.create(openid, {
      title: 'not mine',
      at: Date.now() + 60_000,
    });
    // The same wait that lets the running instance learn of the job shows the idle one did not take it.
    await waitFor(() => other.instance.scheduler.registry.has(reminder.id), { timeoutMs: 1000, everyMs: 5 });
    expect(creator.instance.scheduler.size).toBe(0);
  });

  it('announces nothing when an Idempotency-Key replays the first create', async () => {
    const [creator, other] = await pair(true);
    const openid = lab.sandbox.openIdFor('announce-replay');
    const options = { idempotency: { key: 'k1', fingerprint: 'f1' } };
    const input = { title: 'once', at: Date.now() + 60_000 };
    const first = await creator.instance.reminders.create(openid, input, options);
    await waitFor(() => other.instance.scheduler.registry.has(first.reminder.id), {
      timeoutMs: 1000,
      everyMs: 5,
    });
    const counts = await countCommands(creator, () =>
      creator.instance.reminders.create(openid, input, options),
    );
    expect(counts.publish).toBe(0);
    expect(other.instance.scheduler.size).toBe(1);
  });
});

// Only a create due within the horizon is announced: one due later is no instance's timer yet,
// and the sweeps load it as its time nears. docs/architecture.md#only-a-short-horizon-is-held-in-memory
const HORIZON_MS = 1500;
const TUNING = { horizonMs: HORIZON_MS, sweepIntervalMs: 100 };

describe('a create due beyond the horizon', () => {
  it('is not announced; one due within it is, to the other instances', async () => {
    const config = { redisPrefix: uniquePrefix() };
    const a = await lab.start({ config, tuning: TUNING });
    const b = await lab.start({ config, tuning: TUNING });
    const events: string[] = [];
    const listener = a.redis.duplicate();
    await listener.connect();
    try {
      await listener.subscribe(a.instance.keys.eventsChannel(), (message) => events.push(message));
      const openid = lab.sandbox.openIdFor('announced');
      const far = await a.instance.reminders.create(openid, { title: 'far', at: Date.now() + 60_000 });
      const near = await a.instance.reminders.create(openid, { title: 'near', at: Date.now() + 1000 });
      // The positive control: the near one's event arrives, after the far one's would have.
      await waitFor(() => events.some((e) => e.includes(`"id":"${near.reminder.id}"`)), {
        what: 'the near create announced',
      });
      expect(events.filter((e) => e.includes(`"id":"${far.reminder.id}"`))).toEqual([]);
      expect(b.instance.scheduler.registry.fireAtOf(near.reminder.id)).toBe(near.reminder.nextFireAt);
      expect(b.instance.scheduler.registry.fireAtOf(far.reminder.id)).toBeUndefined();
    } finally {
      await listener.quit();
    }
  });

  it('is still sent once, on time: the sweep loads it as its time nears', async () => {
    const t = await lab.start({ config: { redisPrefix: uniquePrefix() }, tuning: TUNING });
    const openid = lab.sandbox.openIdFor('swept');
    const at = Date.now() + HORIZON_MS + 1500;
    const { reminder } = await t.instance.reminders.create(openid, { title: 'swept in', at });
    expect(t.instance.scheduler.registry.fireAtOf(reminder.id)).toBeUndefined();
    await waitFor(() => lab.sandbox.sent.some((m) => m.touser === openid), {
      what: 'the swept reminder sent',
    });
    const sent = lab.sandbox.sent.filter((m) => m.touser === openid);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.at).toBeGreaterThanOrEqual(at);
    expect(sent[0]!.at - at).toBeLessThan(1000);
  });
});
