import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { StatsService } from '../../src/services/stats-service';
import { StatsStore } from '../../src/store/stats-store';
import { api, bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { createReminder, FAST_TUNING, settled } from './delivery-helpers';

const env = useSandbox();
let sandbox: WeChatSandbox;
let t: TestInstance;
let adminToken: string;

beforeAll(async () => {
  ({ sandbox } = env);
  t = await env.start({ tuning: FAST_TUNING });
  adminToken = t.config.adminToken ?? '';
});

const DAY_MS = 24 * 3600_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const stats = (query = '') =>
  api(t).get(`/api/admin/stats${query}`).set('Authorization', `Bearer ${adminToken}`);

describe('GET /api/admin/stats', () => {
  it('answers 401 without the admin token or with a wrong one, and 401 for a user session', async () => {
    const none = await api(t).get('/api/admin/stats');
    expect(none.status).toBe(401);
    const wrong = await api(t)
      .get('/api/admin/stats')
      .set('Authorization', `Bearer ${'x'.repeat(32)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ errcode: 40103 });
    const user = await api(t)
      .get('/api/admin/stats')
      .set(bearer(await login(t, 'mallory#1')));
    expect(user.status).toBe(401);
  });

  it('answers 503 when ADMIN_TOKEN is unset', async () => {
    const bare = await env.start({ config: { adminToken: undefined } });
    const res = await api(bare).get('/api/admin/stats').set('Authorization', `Bearer ${adminToken}`);
    expect(res.status).toBe(503);
    expect(res.body.errcode).toBe(50303);
  });

  it('answers 400 naming days when days is out of range', async () => {
    const res = await stats('?days=0');
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ path: 'days', message: expect.any(String) }]);
  });

  it('counts reminders by status, sends by result and day, and quota misses', async () => {
    const empty = await stats();
    expect(empty.status).toBe(200);
    expect(empty.body.data.reminders).toEqual({
      byStatus: {
        pending: 0,
        sent: 0,
        failed: 0,
        missed: 0,
        no_quota: 0,
        rate_limited: 0,
        cancelled: 0,
        done: 0,
      },
      counted: 0,
      truncated: false,
    });

    const alice = await login(t, 'alice#1');
    const bob = await login(t, 'bob#1');
    sandbox.faults.noQuotaFor = [sandbox.openIdFor('bob')];
    sandbox.faults.next = [{ errcode: 40003 }];
    const failed = await createReminder(t, alice, 'will fail');
    expect((await settled(t, alice, failed)).status).toBe('failed');
    const finished = [
      await createReminder(t, alice, 'one'),
      await createReminder(t, alice, 'two'),
      await createReminder(t, bob, 'no quota'),
    ];
    for (const id of finished) await settled(t, id === finished[2] ? bob : alice, id);
    await createReminder(t, alice, 'later', Date.now() + 3600_000);
    const cancelled = await createReminder(t, bob, 'cancelled', Date.now() + 3600_000);
    expect((await api(t).delete(`/api/reminders/${cancelled}`).set(bearer(bob))).status).toBe(200);
    // Older counters: three days ago, and a day older than the 30 shown by default.
    const old = dayOf(Date.now() - 3 * DAY_MS);
    // In two shards: the answer sums every shard's counters.
    await t.redis.hSet(t.instance.keys.sendStats(3, old), { sent: '4', no_quota: '2' });
    await t.redis.hSet(t.instance.keys.sendStats(7, old), { sent: '3' });
    await t.redis.hSet(t.instance.keys.sendStats(5, dayOf(Date.now() - 30 * DAY_MS)), { sent: '9' });

    const res = await stats();

    expect(res.status).toBe(200);
    const today = dayOf(Date.now());
    expect(res.body.data).toEqual({
      reminders: {
        byStatus: {
          pending: 1,
          sent: 2,
          failed: 1,
          missed: 0,
          no_quota: 1,
          rate_limited: 0,
          cancelled: 1,
          done: 0,
        },
        counted: 6,
        truncated: false,
      },
      sends: {
        byDay: { [today]: { failed: 1, no_quota: 1, sent: 2 }, [old]: { no_quota: 2, sent: 7 } },
        total: { failed: 1, no_quota: 3, sent: 9 },
      },
      quotaMisses: { total: 3, byDay: { [today]: 1, [old]: 2 } },
      generatedAt: expect.any(String),
    });
    expect(Object.keys(res.body.data.sends.byDay)).toEqual([today, old]); // newest first

    const lastDay = await stats('?days=1');
    expect(lastDay.body.data.sends).toEqual({
      byDay: { [today]: { failed: 1, no_quota: 1, sent: 2 } },
      total: { failed: 1, no_quota: 1, sent: 2 },
    });
    expect(lastDay.body.data.quotaMisses).toEqual({ total: 1, byDay: { [today]: 1 } });
  });

  it('counts only the newest reminders past its limit and says the count is truncated', async () => {
    const store = new StatsStore(t.redis, t.instance.keys);
    const service = new StatsService({ store, now: Date.now, countLimit: 4 });
    const { reminders } = await service.stats(1);
    // The limit shared by the users' shards: each one's two newest of the previous test (alice's
    // `later` and `two`, bob's `cancelled` and `no quota`); one failed and one sent fall outside.
    expect(reminders).toEqual({
      byStatus: {
        pending: 1,
        sent: 1,
        failed: 0,
        missed: 0,
        no_quota: 1,
        rate_limited: 0,
        cancelled: 1,
        done: 0,
      },
      counted: 4,
      truncated: true,
    });
  });
});
