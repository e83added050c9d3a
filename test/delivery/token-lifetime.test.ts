import { login, TestClock, useSandbox, type TestInstance } from '../support/harness';
import { attemptsOf, createReminder, FAST_TUNING, settled } from './delivery-helpers';

// A sandbox whose tokens live 3 s, on the same clock as the instance: moving the clock on ends a
// token's life on both sides at once, without waiting for it.
const clock = new TestClock();
const env = useSandbox({ tokenTtlSeconds: 3, now: clock.now });
let t: TestInstance;

beforeAll(async () => {
  t = await env.start({ now: clock.now, tuning: FAST_TUNING });
});

// docs/architecture.md#one-access-token
describe('access_token lifetime', () => {
  it('replaces a token before it expires, so no send ever meets 42001', async () => {
    const auth = await login(t, 'alice#1');
    const first = await createReminder(t, auth, 'early');
    expect((await settled(t, auth, first)).status).toBe('sent');
    // Kept in Redis no longer than the token lives.
    const ttl = await t.redis.pTTL(t.instance.keys.accessToken());
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3000);

    const second = await createReminder(t, auth, 'late');
    clock.advance(3200); // by the time the second is due, the first token has died
    const view = await settled(t, auth, second);

    expect(attemptsOf(view)).toEqual([{ attempt: 1, result: 'sent', errcode: 0 }]);
    expect(env.sandbox.stats.stableTokenFetches).toBe(2);
  });
});
