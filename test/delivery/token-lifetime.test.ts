import { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { startInstance, TEST_APPID, TEST_SECRET, type TestInstance } from '../support/harness';
import { attemptsOf, createReminder, FAST_TUNING, login, settled } from './delivery-helpers';

// A sandbox whose tokens live 3 s, so that a token's whole life fits in one test.
let sandbox: WeChatSandbox;
let t: TestInstance;

beforeAll(async () => {
  sandbox = new WeChatSandbox({ appId: TEST_APPID, appSecret: TEST_SECRET, tokenTtlSeconds: 3 });
  const url = await sandbox.start(0, '127.0.0.1');
  t = await startInstance({ wxBase: url, tuning: FAST_TUNING });
});

afterAll(async () => {
  await t.close();
  await sandbox.stop();
});

describe('access_token lifetime (SPEC §6)', () => {
  it('replaces a token before it expires, so no send ever meets 42001', async () => {
    const auth = await login(t, 'alice#1');
    const first = await createReminder(t, auth, 'early');
    expect((await settled(t, auth, first)).status).toBe('sent');
    // Kept in Redis no longer than the token lives.
    const ttl = await t.redis.pTTL(t.instance.keys.accessToken());
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3000);

    const second = await createReminder(t, auth, 'late', Date.now() + 3200); // after the first token died
    const view = await settled(t, auth, second);

    expect(attemptsOf(view)).toEqual([{ attempt: 1, result: 'sent', errcode: 0 }]);
    expect(sandbox.stats.stableTokenFetches).toBe(2);
  });
});
