import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { startInstance, startSandbox, uniquePrefix, type TestInstance } from '../support/harness';
import { createReminder, FAST_TUNING, getReminder, login, settled, sleep, waitFor } from './delivery-helpers';

// Two instances of one deployment: a 45009 seen by one must stop the other too. Backoff is
// 50–100 ms so that two sends fired together both reach the sandbox before either retries.
const TUNING = { ...FAST_TUNING, backoffBaseMs: 100 };
let sandbox: WeChatSandbox;
let a: TestInstance;
let b: TestInstance;
let auth: string;

beforeAll(async () => {
  const started = await startSandbox();
  sandbox = started.sandbox;
  const redisPrefix = uniquePrefix();
  a = await startInstance({ wxBase: started.url, config: { redisPrefix }, tuning: TUNING });
  b = await startInstance({ wxBase: started.url, config: { redisPrefix }, tuning: TUNING });
  auth = await login(a, 'alice#1');
});

afterAll(async () => {
  await a.close();
  await b.close();
  await sandbox.stop();
});

beforeEach(async () => {
  sandbox.reset();
  await a.redis.del(a.instance.keys.sendPause());
});

describe("WeChat's daily send quota (45009)", () => {
  it('pauses every instance, keeps the reminders pending and sends them all once after the pause', async () => {
    sandbox.faults.quotaExceeded = true;
    const first = await createReminder(a, auth, 'first');
    const pauseKey = a.instance.keys.sendPause();
    await waitFor('the pause', async () => ((await a.redis.pTTL(pauseKey)) > 0 ? true : undefined));
    const pausedAt = Date.now();
    // WeChat would take sends again at once: only the pause keeps them back.
    sandbox.faults.quotaExceeded = false;
    const pauseTtl = await a.redis.pTTL(pauseKey);
    expect(pauseTtl).toBeGreaterThan(FAST_TUNING.pauseMs - 500);

    const soon = Date.now() + 200; // due while paused
    const later = [
      await createReminder(b, auth, 'second', soon),
      await createReminder(a, auth, 'third', soon),
    ];
    await sleep(FAST_TUNING.pauseMs - 600);

    expect(sandbox.stats.sendCalls).toBe(1);
    for (const id of [first, ...later]) expect((await getReminder(a, auth, id)).status).toBe('pending');

    const views = await Promise.all([first, ...later].map((id) => settled(a, auth, id, 5000)));
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(FAST_TUNING.pauseMs - 50);
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
    const at = Date.now() + 300;
    const ids = [await createReminder(a, auth, 'busy', at), await createReminder(a, auth, 'quota', at)];
    await waitFor('both first answers', () => (sandbox.stats.sendCalls >= 2 ? true : undefined));
    await sleep(FAST_TUNING.pauseMs - 500);

    expect(sandbox.stats.sendCalls).toBe(2);
    const views = await Promise.all(ids.map((id) => settled(a, auth, id, 5000)));
    expect(views.map((v) => v.status)).toEqual(['sent', 'sent']);
    expect(sandbox.sent).toHaveLength(2);
  });
});
