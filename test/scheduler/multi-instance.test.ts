import {
  afterSweeps,
  uniquePrefix,
  useSandbox,
  waitFor,
  watchClaims,
  type TestInstance,
} from '../support/harness';

const lab = useSandbox();

async function instances(count: number, tuning = {}): Promise<TestInstance[]> {
  const redisPrefix = uniquePrefix();
  const started: TestInstance[] = [];
  for (let i = 0; i < count; i++) {
    started.push(await lab.start({ config: { redisPrefix }, tuning: { sweepIntervalMs: 200, ...tuning } }));
  }
  return started;
}

describe('several instances on one Redis', () => {
  it('send 200 reminders due in the same second exactly 200 times in total', async () => {
    const [a, b] = await instances(2);
    const openid = lab.sandbox.openIdFor('crowd');
    const at = Date.now() + 1500;
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const { reminder } = await a!.instance.reminders.create(openid, { title: `crowd ${i}`, at });
      ids.push(reminder.id);
    }
    // Both instances hold every job: each fires, only one claim wins per occurrence.
    // (The change reaches the other instance over pub/sub, asynchronously: within a moment.)
    expect(a!.instance.scheduler.size).toBe(200);
    await waitFor(() => b!.instance.scheduler.size === 200, { timeoutMs: 1000, everyMs: 5 });
    await waitFor(() => lab.sandbox.sent.length >= 200, 15_000);
    await Promise.all([afterSweeps(a!), afterSweeps(b!)]); // either could still send a duplicate
    expect(lab.sandbox.sent).toHaveLength(200);
    expect(new Set(lab.sandbox.sent.map((m) => m.data.thing1?.value)).size).toBe(200);
    const reminders = await a!.instance.store.getMany(ids);
    expect(reminders.every((r) => r?.status === 'sent' && r.fireCount === 1)).toBe(true);
  });

  it('takes over an occurrence whose claiming instance died, once its lease runs out', async () => {
    const [live] = await instances(1);
    const openid = lab.sandbox.openIdFor('orphan');
    const slot = Date.now() + 600;
    const { reminder } = await live!.instance.reminders.create(openid, { title: 'orphan', at: slot });
    const id = reminder.id;
    // Another process claims the occurrence with a 1.5 s lease and dies before sending.
    const dead = await live!.instance.store.claim(id, slot, 'dead-instance', 1500);
    expect(dead.ok).toBe(true);
    const claimedAt = Date.now();
    const claims = watchClaims(live!);
    // Its timer fires and it tries to claim: refused, the claim is not ours.
    await waitFor(async () => (await claims.outcomes()).includes('refused'));
    expect(lab.sandbox.sent).toHaveLength(0);
    await waitFor(() => lab.sandbox.sent.length === 1, 5000);
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(1500);
    await afterSweeps(live!); // the sweeps after the send could take it again
    expect(lab.sandbox.sent).toHaveLength(1);
    expect((await live!.instance.store.get(id))?.status).toBe('sent');
  });
});
