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
