import { startInstance, uniquePrefix, waitFor, sleep, useSandbox } from '../support/harness';

const lab = useSandbox();
const running = lab.running;

async function instances(count: number, tuning = {}) {
  const redisPrefix = uniquePrefix();
  for (let i = 0; i < count; i++) {
    running.push(
      await startInstance({
        wxBase: lab.url,
        config: { redisPrefix },
        tuning: { sweepIntervalMs: 200, ...tuning },
      }),
    );
  }
  return running.slice(-count);
}

describe('several instances on one Redis', () => {
  it('send 200 reminders due in the same second exactly 200 times in total', async () => {
    const [a, b] = await instances(2);
    const openid = lab.sandbox.openIdFor('crowd');
    const at = Date.now() + 1500;
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const { reminder } = await a!.instance.reminders.create(openid, { title: `crowd ${i}`, at });
      ids.push(reminder.id as string);
    }
    // Both instances hold every job: each fires, only one claim wins per occurrence.
    // (The change reaches the other instance over pub/sub, asynchronously: within a moment.)
    expect(a!.instance.scheduler.size).toBe(200);
    await waitFor(() => b!.instance.scheduler.size === 200, 1000, 5);
    await waitFor(() => lab.sandbox.sent.length >= 200, 15_000);
    await sleep(800);
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
    const id = reminder.id as string;
    // Another process claims the occurrence with a 1.5 s lease and dies before sending.
    const dead = await live!.instance.store.claim(id, slot, 'dead-instance', 1500);
    expect(dead.ok).toBe(true);
    const claimedAt = Date.now();
    await sleep(slot - Date.now() + 400);
    expect(lab.sandbox.sent).toHaveLength(0); // its timer fired, but the claim was not ours
    await waitFor(() => lab.sandbox.sent.length === 1, 5000);
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(1500);
    await sleep(500);
    expect(lab.sandbox.sent).toHaveLength(1);
    expect((await live!.instance.store.get(id))?.status).toBe('sent');
  });
});
