import { afterSweeps, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';

const lab = useSandbox();

async function instance(
  redisPrefix: string,
  options: { sendConcurrency?: number; drainTimeoutMs?: number; wxTimeoutMs?: number; start?: boolean } = {},
): Promise<TestInstance> {
  return lab.start({
    config: { redisPrefix, sendConcurrency: options.sendConcurrency ?? 32 },
    tuning: {
      sweepIntervalMs: 200,
      drainTimeoutMs: options.drainTimeoutMs,
      wxTimeoutMs: options.wxTimeoutMs,
      processMetrics: false,
    },
    start: options.start,
  });
}

const sentCounts = () => {
  const counts = new Map<string, number>();
  for (const m of lab.sandbox.sent) {
    const title = m.data.thing1?.value ?? '';
    counts.set(title, (counts.get(title) ?? 0) + 1);
  }
  return counts;
};

describe('Instance.stop() with sends in flight', () => {
  it('lets in-flight sends finish, hands the rest to the other instance, and every reminder is sent exactly once', async () => {
    const prefix = uniquePrefix();
    // A sends at most 8 at a time, so when it stops it has sends in flight and more queued.
    const a = await instance(prefix, { sendConcurrency: 8 });
    const b = await instance(prefix);
    lab.sandbox.faults.latencyMs = 800;
    const finishes = jest.spyOn(a.instance.store, 'finishMany'); // observed, not replaced
    const openid = lab.sandbox.openIdFor('stopper');
    const at = Date.now() + 1500;
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const { reminder } = await a.instance.reminders.create(openid, { title: `stop ${i}`, at });
      ids.push(reminder.id);
    }
    expect(a.instance.scheduler.size).toBe(50);
    await waitFor(() => b.instance.scheduler.size === 50, { timeoutMs: 1000, everyMs: 5 }); // pub/sub reaches B a moment later

    // Sends have reached WeChat (after the shared token's fetch) and wait 800 ms for its answer.
    await waitFor(() => lab.sandbox.stats.sendCalls > 0, { timeoutMs: 8000, everyMs: 10 });
    const inFlight = a.instance.dispatcher.pending;
    expect(inFlight).toBeGreaterThan(0);
    await a.instance.stop();
    // Within the 10 s bound, and only the sends already at WeChat were waited for: every send A
    // had started finished, and it started no more than its 8 at a time.
    expect(a.logs.text()).toContain('"sendsFinished":true');
    const recorded = finishes.mock.calls.flatMap(([batch]) => batch); // outcomes go in batches
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.length).toBeLessThanOrEqual(8);
    expect(a.instance.dispatcher.pending).toBe(0);
    expect(a.instance.scheduler.running).toBe(false);

    await waitFor(() => sentCounts().size === 50, 15_000);
    // WeChat's answers come 800 ms after it has the message: then the outcomes are recorded.
    await waitFor(async () => (await b.instance.store.getMany(ids)).every((r) => r?.status === 'sent'));
    await afterSweeps(b); // a few sweeps later: nothing more
    const counts = sentCounts();
    expect(counts.size).toBe(50);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(lab.sandbox.sent).toHaveLength(50);
    const reminders = await b.instance.store.getMany(ids);
    expect(reminders.every((r) => r?.status === 'sent' && r.fireCount === 1)).toBe(true);
    // Nothing is left claimed or due.
    expect(await b.instance.store.dueCount()).toBe(0);
    expect(await b.redis.keys(`${prefix}claim:*`)).toEqual([]);
  });

  it('gives back the claim of a send still unfinished when the wait runs out, and another instance sends it at once', async () => {
    const prefix = uniquePrefix();
    const a = await instance(prefix, { drainTimeoutMs: 1000, wxTimeoutMs: 4000 });
    const b = await instance(prefix, { start: false });
    const openid = lab.sandbox.openIdFor('hung');
    // A's send never gets an answer (and WeChat never delivers it): A cannot finish in time.
    lab.sandbox.faults.next = [{ hang: true }];
    const { reminder } = await a.instance.reminders.create(openid, { title: 'hung', at: Date.now() + 300 });
    const id = reminder.id;
    await waitFor(() => lab.sandbox.stats.sendCalls === 1, { timeoutMs: 5000, everyMs: 10 });
    const claims = await a.redis.keys(`${prefix}claim:*`);
    expect(claims).toHaveLength(1);

    // B runs meanwhile; the occurrence is A's until A lets go (the lease is 30 s).
    await b.instance.start();
    await afterSweeps(b);
    expect(lab.sandbox.sent).toHaveLength(0);

    const started = Date.now();
    await a.instance.stop();
    const stoppedAt = Date.now();
    expect(stoppedAt - started).toBeGreaterThanOrEqual(1000);
    // It stopped waiting: the hung call is still in flight, and its claim was given back.
    expect(a.instance.dispatcher.pending).toBe(1);
    expect(a.logs.text()).toContain('their claims were given back');
    expect(await a.redis.keys(`${prefix}claim:*`)).toEqual([]);

    // B takes it on a sweep, not 30 s later when the lease would have run out.
    await waitFor(() => lab.sandbox.sent.length === 1, 10_000);
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
    const done = await waitFor(async () => {
      const r = await b.instance.store.get(id);
      return r?.status === 'sent' ? r : undefined;
    }, 3000);
    expect(done.fireCount).toBe(1);
    // A's abandoned call times out later; it records no outcome and sends nothing more.
    await waitFor(() => a.instance.dispatcher.pending === 0, 10_000);
    expect(lab.sandbox.sent).toHaveLength(1);
    expect((await b.instance.store.get(id))?.fireCount).toBe(1);
  });
});
