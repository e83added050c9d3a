import { login, sleep, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { createReminder, FAST_TUNING, getReminder, settled } from './delivery-helpers';

// docs/architecture.md#a-pause-is-never-a-miss: a 45009 pause never turns a send into `missed`. A
// paused occurrence keeps its right to be sent until the pause ends, and is then sent — or recorded
// missed, saying why, only if it is older than the grace counted from the end of the pause. Here
// the pause (2 s) outlasts the grace (1 s), as the defaults' 600 s pause and 600 s grace do at
// scale.
const env = useSandbox();
const PAUSE_MS = 2000;
const GRACE_SECONDS = 1;
const TUNING = { ...FAST_TUNING, pauseMs: PAUSE_MS };

function start(redisPrefix = uniquePrefix()): Promise<TestInstance> {
  return env.start({ config: { redisPrefix, misfireGraceSeconds: GRACE_SECONDS }, tuning: TUNING });
}

/** Waits for the 45009 pause to be in force and returns when it ends (epoch ms). */
async function pauseEnd(t: TestInstance): Promise<number> {
  const ttl = await waitFor(
    async () => {
      const ms = await t.redis.pTTL(t.instance.keys.sendPause());
      return ms > 0 ? ms : undefined;
    },
    { what: 'the pause' },
  );
  return Date.now() + ttl;
}

describe('a 45009 pause longer than the misfire grace', () => {
  it('sends the paused occurrence and one due during the pause once the pause ends', async () => {
    const t = await start();
    const auth = await login(t, 'alice#1');
    env.sandbox.faults.quotaExceeded = true;
    const slot = Date.now() + 300;
    const paused = await createReminder(t, auth, 'paused', slot);
    const ends = await pauseEnd(t);
    env.sandbox.faults.quotaExceeded = false; // only the pause holds sends back now
    const duringSlot = Date.now() + 200;
    const during = await createReminder(t, auth, 'during', duringSlot);

    const views = await Promise.all([paused, during].map((id) => settled(t, auth, id, PAUSE_MS + 5000)));
    expect(views.map((v) => v.status)).toEqual(['sent', 'sent']);
    expect(env.sandbox.sent.map((m) => m.data.thing1?.value).sort()).toEqual(['during', 'paused']);
    // Both went out after the pause, past their slot plus the grace.
    for (const m of env.sandbox.sent) expect(m.at).toBeGreaterThanOrEqual(ends - 50);
    expect(ends).toBeGreaterThan(slot + GRACE_SECONDS * 1000);
    expect(ends).toBeGreaterThan(duringSlot + GRACE_SECONDS * 1000);
    expect([...(views[0]?.deliveries ?? [])].reverse().map((d) => [d.result, d.errcode])).toEqual([
      ['paused', 45009],
      ['sent', 0],
    ]);
  });

  it('keeps the right to be sent across back-to-back pauses', async () => {
    const t = await start();
    const auth = await login(t, 'alice#1');
    // The send after the first pause meets 45009 again: a second pause starts as the first ends.
    env.sandbox.faults.next = [{ errcode: 45009 }, { errcode: 45009 }];
    const id = await createReminder(t, auth, 'twice paused');
    const view = await settled(t, auth, id, 2 * PAUSE_MS + 5000);
    expect(view.status).toBe('sent');
    expect(
      [...view.deliveries].reverse().map((d) => d.result),
      // one miss here would mean the second pause cost the occurrence its grace
    ).toEqual(['paused', 'paused', 'sent']);
    expect(env.sandbox.sent.map((m) => m.data.thing1?.value)).toEqual(['twice paused']);
  });

  it('records missed, naming the pause, an occurrence still unsent a grace after the pause ended', async () => {
    const redisPrefix = uniquePrefix();
    const a = await start(redisPrefix);
    const auth = await login(a, 'alice#1');
    env.sandbox.faults.quotaExceeded = true;
    const id = await createReminder(a, auth, 'paused, then down');
    const ends = await pauseEnd(a);
    env.sandbox.faults.quotaExceeded = false;
    // The only instance stops while paused and comes back after the pause's end plus the grace.
    await a.instance.stop();
    await sleep(ends + GRACE_SECONDS * 1000 + 300 - Date.now());
    const b = await start(redisPrefix);

    const view = await settled(b, auth, id, 5000);
    expect(view.status).toBe('missed');
    expect(view.lastResult?.errmsg).toMatch(/sending pause \(45009\)/);
    const missed = view.deliveries[0];
    expect(missed).toMatchObject({ result: 'missed', errcode: null });
    expect(missed?.errmsg).toMatch(/older than the misfire grace counted from the end of the pause/);
    expect(env.sandbox.sent).toHaveLength(0);
    expect(env.sandbox.stats.sendCalls).toBe(1); // the call that met 45009
    // Positive control: the restarted instance sends what is due now.
    const fresh = await createReminder(b, auth, 'after the restart');
    expect((await settled(b, auth, fresh, 5000)).status).toBe('sent');
    expect((await getReminder(b, auth, id)).fireCount).toBe(1);
  });
});
