import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { login, sweepControl, useSandbox, type TestInstance } from '../support/harness';
import { attemptsOf, createReminder, FAST_TUNING, settled } from './delivery-helpers';

// One sandbox and one instance; the tests run one reminder at a time, so each scripted fault
// (`faults.next` answers the next send call, whoever makes it) hits the reminder under test.
const env = useSandbox();
let sandbox: WeChatSandbox;
let t: TestInstance;
let auth: string;

beforeAll(async () => {
  ({ sandbox } = env);
  t = await env.start({ tuning: FAST_TUNING });
  auth = await login(t, 'alice#1');
});

// docs/architecture.md#retries-and-wechat-errors
describe('delivery retries', () => {
  it('retries WeChat busy (-1) twice and delivers on the third try, recording every attempt', async () => {
    sandbox.faults.next = [{ errcode: -1 }, { errcode: -1 }];
    const id = await createReminder(t, auth, 'busy twice');

    const view = await settled(t, auth, id);

    expect(view.status).toBe('sent');
    expect(view.fireCount).toBe(1);
    expect(view.lastResult).toMatchObject({ errcode: 0, msgid: expect.stringMatching(/^\d{19}$/) });
    expect(attemptsOf(view)).toEqual([
      { attempt: 1, result: 'retry', errcode: -1 },
      { attempt: 2, result: 'retry', errcode: -1 },
      { attempt: 3, result: 'sent', errcode: 0 },
    ]);
    expect(view.deliveries.every((d) => d.occurrence === view.deliveries[0]?.occurrence)).toBe(true);
    expect(sandbox.stats.sendCalls).toBe(3);
    expect(sandbox.sent.map((m) => m.data.thing1?.value)).toEqual(['busy twice']);
    expect(sandbox.sent[0]?.msgid).toBe(view.lastResult?.msgid);
  });

  it('retries an HTTP 502 and a hung connection (client timeout) the same way', async () => {
    sandbox.faults.next = [{ http: 502 }, { hang: true }];
    const id = await createReminder(t, auth, 'proxy trouble');

    const view = await settled(t, auth, id);

    expect(view.status).toBe('sent');
    // -3: HTTP error status, -2: timed out (errors.ts), then accepted.
    expect(attemptsOf(view)).toEqual([
      { attempt: 1, result: 'retry', errcode: -3 },
      { attempt: 2, result: 'retry', errcode: -2 },
      { attempt: 3, result: 'sent', errcode: 0 },
    ]);
    const hung = view.deliveries.find((d) => d.attempt === 2);
    // Given up after the 300 ms client timeout, not WeChat's 5 s default.
    expect(hung?.latencyMs).toBeGreaterThanOrEqual(250);
    expect(hung?.latencyMs).toBeLessThan(5000);
    expect(sandbox.sent).toHaveLength(1);
  });

  it('gives up after 5 failed tries and records failed with the last errcode', async () => {
    sandbox.faults.next = [{ http: 502 }, { errcode: -1 }, { http: 503 }, { errcode: -1 }, { hang: true }];
    const id = await createReminder(t, auth, 'never lucky');

    const view = await settled(t, auth, id);

    expect(view.status).toBe('failed');
    expect(view.lastResult).toMatchObject({ errcode: -2, msgid: null });
    expect(view.lastResult?.errmsg).toMatch(/timed out/);
    expect(attemptsOf(view)).toEqual([
      { attempt: 1, result: 'retry', errcode: -3 },
      { attempt: 2, result: 'retry', errcode: -1 },
      { attempt: 3, result: 'retry', errcode: -3 },
      { attempt: 4, result: 'retry', errcode: -1 },
      { attempt: 5, result: 'failed', errcode: -2 },
    ]);
    expect(sandbox.stats.sendCalls).toBe(5);
    expect(sandbox.sent).toHaveLength(0);
    // A final failure is final: no sixth call after a sweep or two (each sent a control message).
    const controls = await sweepControl(env, t);
    expect(sandbox.stats.sendCalls - controls).toBe(5);
  });

  it('treats a final WeChat error (40003) as final at once, with its errcode and errmsg', async () => {
    sandbox.faults.next = [{ errcode: 40003 }];
    const id = await createReminder(t, auth, 'bad openid');

    const view = await settled(t, auth, id);

    expect(view.status).toBe('failed');
    expect(view.lastResult).toMatchObject({ errcode: 40003, errmsg: expect.stringMatching(/rid: /) });
    expect(attemptsOf(view)).toEqual([{ attempt: 1, result: 'failed', errcode: 40003 }]);
    expect(sandbox.stats.sendCalls).toBe(1);
  });

  it('refreshes a rejected token once and retries once (40001), without a second fetch', async () => {
    const id0 = await createReminder(t, auth, 'warm up');
    await settled(t, auth, id0);
    const fetches = sandbox.stats.stableTokenFetches;
    sandbox.revokeTokens();
    const id = await createReminder(t, auth, 'stale token');

    const view = await settled(t, auth, id);

    expect(view.status).toBe('sent');
    expect(attemptsOf(view)).toEqual([
      { attempt: 1, result: 'retry', errcode: 40001 },
      { attempt: 2, result: 'sent', errcode: 0 },
    ]);
    expect(sandbox.stats.stableTokenFetches).toBe(fetches + 1);
  });
});
