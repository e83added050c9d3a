import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { login, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { createReminder, FAST_TUNING, getReminder, settled } from './delivery-helpers';

// Two instances of one deployment: a 45009 seen by one must stop the other too. Backoff is
// 50–100 ms so that two sends fired together both reach the sandbox before either retries. The
// pause lasts 3 s so that reminders created during it, a second ahead, are still due inside it
// on a loaded machine (creates there have taken over 200 ms each).
const TUNING = { ...FAST_TUNING, backoffBaseMs: 100, pauseMs: 3000 };
const env = useSandbox();
let sandbox: WeChatSandbox;
let a: TestInstance;
let b: TestInstance;
let auth: string;

beforeAll(async () => {
  ({ sandbox } = env);
  const redisPrefix = uniquePrefix();
  a = await env.start({ config: { redisPrefix }, tuning: TUNING });
  b = await env.start({ config: { redisPrefix }, tuning: TUNING });
  auth = await login(a, 'alice#1');
});

beforeEach(async () => {
  await a.redis.del(a.instance.keys.sendPause());
});

/** Waits for the 45009 pause to be in force and returns when it ends (epoch ms). */
async function pauseEnd(): Promise<number> {
  const ttl = await waitFor(
    async () => a.redis.pTTL(a.instance.keys.sendPause()).then((ms) => ms > 0 && ms),
    {
      what: 'the pause',
    },
  );
  return Date.now() + ttl;
}

describe("WeChat's daily send quota (45009)", () => {
  it('pauses every instance, keeps the reminders pending and sends them all once after the pause', async () => {
    sandbox.faults.quotaExceeded = true;
    const first = await createReminder(a, auth, 'first');
    const pausedAt = Date.now();
    const ends = await pauseEnd();
    // WeChat would take sends again at once: only the pause keeps them back.
    sandbox.faults.quotaExceeded = false;
    expect(ends - pausedAt).toBeGreaterThan(TUNING.pauseMs - 500);

    const soon = Date.now() + 1000; // due while paused
    expect(soon).toBeLessThan(ends);
    const later = await Promise.all([
      createReminder(b, auth, 'second', soon),
      createReminder(a, auth, 'third', soon),
    ]);
    for (const id of [first, ...later]) expect((await getReminder(a, auth, id)).status).toBe('pending');

    const views = await Promise.all([first, ...later].map((id) => settled(a, auth, id, 10_000)));
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(TUNING.pauseMs - 50);
    // Nothing reached WeChat while paused: the one call before the pause met 45009, and WeChat
    // accepted each of the three (whichever instance sent it) only after the pause's end.
    for (const m of sandbox.sent) expect(m.at).toBeGreaterThanOrEqual(ends - 50);
    expect(views.map((v) => v.status)).toEqual(['sent', 'sent', 'sent']);
    expect(sandbox.sent.map((m) => m.data.thing1?.value).sort()).toEqual(['first', 'second', 'third']);
    expect(sandbox.stats.sendCalls).toBe(4);
    // The paused attempt is on the record, before the delivery.
    const [firstView] = views;
    expect([...(firstView?.deliveries ?? [])].reverse().map((d) => [d.result, d.errcode])).toEqual([
      ['paused', 45009],
      ['sent', 0],
    ]);
    expect(firstView?.fireCount).toBe(1);
  });

  it('stops a send that is backing off from retrying into the pause', async () => {
    // Two sends at the same moment: one meets -1 and backs off, the other 45009 meanwhile.
    sandbox.faults.next = [{ errcode: -1 }, { errcode: 45009 }];
    const at = Date.now() + 1000;
    const ids = await Promise.all([
      createReminder(a, auth, 'busy', at),
      createReminder(a, auth, 'quota', at),
    ]);
    await waitFor(() => sandbox.stats.sendCalls >= 2, { what: 'both first answers' });
    const ends = await pauseEnd();

    const views = await Promise.all(ids.map((id) => settled(a, auth, id, 10_000)));
    expect(views.map((v) => v.status)).toEqual(['sent', 'sent']);
    expect(sandbox.sent).toHaveLength(2);
    // The busy one did not retry into the pause: its retry, like the paused send, came after it.
    for (const m of sandbox.sent) expect(m.at).toBeGreaterThanOrEqual(ends - 50);
    expect(sandbox.stats.sendCalls).toBe(4);
  });
});
