import { DateTime } from 'luxon';
import { SendLimiter } from '../../src/store/send-limiter';
import { parseMetrics, valueOf } from '../support/metrics-text';
import {
  api,
  bearer,
  login,
  uniquePrefix,
  useSandbox,
  type ConfigOverrides,
  type TestInstance,
} from '../support/harness';
import { createReminder, FAST_TUNING, settled } from './delivery-helpers';

// docs/architecture.md#per-user-daily-send-limit: one user never receives more than
// USER_DAILY_SEND_LIMIT subscribe messages a day from all features together; the rest are recorded
// `rate_limited`.
const env = useSandbox();
const LIMIT = 3;

function start(config: ConfigOverrides = {}): Promise<TestInstance> {
  return env.start({
    config: { redisPrefix: uniquePrefix(), userDailySendLimit: LIMIT, ...config },
    tuning: FAST_TUNING,
  });
}

const titlesSentTo = (openid: string) =>
  env.sandbox.sent
    .filter((m) => m.touser === openid)
    .map((m) => m.data.thing1?.value)
    .sort();

describe('USER_DAILY_SEND_LIMIT', () => {
  it('sends a user at most the limit of reminders due together, records the rest rate_limited, and leaves others alone', async () => {
    const t = await start();
    const alice = await login(t, 'alice#1');
    const bob = await login(t, 'bob#1');
    // A second ahead and created together, so that none is refused as past on a loaded machine.
    const at = Date.now() + 1000;
    const [bobs, ...ids] = await Promise.all([
      createReminder(t, bob, 'bob 1', at),
      ...[1, 2, 3, 4, 5].map((i) => createReminder(t, alice, `alice ${i}`, at)),
    ]);

    const views = await Promise.all(ids.map((id) => settled(t, alice, id)));
    const byStatus = views.map((v) => v.status).sort();
    expect(byStatus).toEqual(['rate_limited', 'rate_limited', 'sent', 'sent', 'sent']);
    expect((await settled(t, bob, bobs)).status).toBe('sent');
    expect(titlesSentTo(env.sandbox.openIdFor('alice'))).toHaveLength(LIMIT);
    expect(titlesSentTo(env.sandbox.openIdFor('bob'))).toEqual(['bob 1']);
    expect(env.sandbox.stats.sendCalls).toBe(LIMIT + 1); // a rate-limited send never calls WeChat

    const limited = views.find((v) => v.status === 'rate_limited');
    expect(limited?.lastResult).toMatchObject({ errcode: null, msgid: null });
    expect(limited?.lastResult?.errmsg).toMatch(/USER_DAILY_SEND_LIMIT/);
    expect(limited?.deliveries.map((d) => [d.result, d.errcode])).toEqual([['rate_limited', null]]);

    // The same outcome in the list filter, admin stats and metrics.
    const listed = await api(t).get('/api/reminders?status=rate_limited').set(bearer(alice));
    expect(listed.status).toBe(200);
    expect(listed.body.data.items).toHaveLength(2);
    const stats = await api(t)
      .get('/api/admin/stats')
      .set('Authorization', `Bearer ${t.config.adminToken ?? ''}`);
    expect(stats.body.data.reminders.byStatus).toMatchObject({ sent: 4, rate_limited: 2 });
    expect(stats.body.data.sends.total).toMatchObject({ sent: 4, rate_limited: 2 });
    const samples = parseMetrics((await api(t).get('/metrics')).text);
    const reminders = { kind: 'reminder' };
    expect(
      valueOf(samples, 'tixing_sends_total', { ...reminders, result: 'rate_limited', errcode: 'none' }),
    ).toBe(2);
    expect(valueOf(samples, 'tixing_sends_total', { ...reminders, result: 'sent', errcode: '0' })).toBe(4);
  });

  it('gives back the allowance of a send WeChat refused, and the grant of a rate-limited one', async () => {
    const t = await start({ quotaMode: 'enforce' });
    const alice = await login(t, 'alice#1');
    const openid = env.sandbox.openIdFor('alice');
    const templateId = t.config.wx.templateId;
    await t.instance.quota.grant(openid, templateId, LIMIT + 2);
    env.sandbox.faults.next = [{ errcode: 40003 }]; // a final refusal: nothing reached alice
    const refused = await createReminder(t, alice, 'refused');
    expect((await settled(t, alice, refused)).status).toBe('failed');

    const at = Date.now() + 1000;
    const ids = await Promise.all(
      Array.from({ length: LIMIT + 1 }, (_, i) => createReminder(t, alice, `after ${i + 1}`, at)),
    );
    const views = await Promise.all(ids.map((id) => settled(t, alice, id)));
    // The refused send did not count: the limit's three messages all went out.
    expect(views.map((v) => v.status).sort()).toEqual(['rate_limited', 'sent', 'sent', 'sent']);
    expect(titlesSentTo(openid)).toHaveLength(LIMIT);
    // Grants: one spent per delivered message; the refused and the rate-limited ones came back.
    expect(await t.instance.quota.remaining(openid)).toEqual({ [templateId]: 2 });
    const counter = new SendLimiter(t.redis, t.instance.keys, {
      limit: LIMIT,
      timezone: t.config.defaultTimezone,
    });
    expect(await counter.used(openid)).toBe(LIMIT);
  });

  it('counts a day in DEFAULT_TIMEZONE and lets the counter expire on its own', async () => {
    const t = await start();
    const openid = env.sandbox.openIdFor('carol');
    // 23:59:30 and 00:00:30 in Shanghai are two days there, although one UTC day.
    const lateEvening = DateTime.fromISO('2026-12-02T23:59:30', { zone: 'Asia/Shanghai' }).toMillis();
    let clock = lateEvening;
    const limiter = new SendLimiter(t.redis, t.instance.keys, {
      limit: 1,
      timezone: 'Asia/Shanghai',
      now: () => clock,
    });
    const admit = async () => (await limiter.admit([{ openid, templateId: 'tpl' }], false)).answers?.[0];
    expect(await admit()).toEqual({
      status: 'ok',
      allowance: { openid, templateId: 'tpl', day: '2026-12-02', granted: false },
    });
    expect(await admit()).toEqual({ status: 'rate_limited' });
    clock = lateEvening + 60_000;
    expect(await admit()).toMatchObject({ status: 'ok', allowance: { day: '2026-12-03' } });
    const ttl = await t.redis.ttl(t.instance.keys.userDailySends(openid, '2026-12-03'));
    expect(ttl).toBeGreaterThan(86_400);
    expect(ttl).toBeLessThanOrEqual(2 * 86_400);
  });
});
