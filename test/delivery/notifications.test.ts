import { NOTIFICATION_SHARDS, NotificationStore } from '../../src/store/notification-store';
import { StatsStore } from '../../src/store/stats-store';
import { NotificationRenderError, type NotificationInput } from '../../src/services/notification-service';
import { TestClock, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { FAST_TUNING } from './delivery-helpers';

const lab = useSandbox();
const TEMPLATE = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w'; // config/templates.json

const note = (openid: string, title: string, extra: Partial<NotificationInput> = {}): NotificationInput => ({
  openid,
  templateId: TEMPLATE,
  title,
  detail: 'from a test',
  timezone: 'Asia/Shanghai',
  ...extra,
});

const titles = () => lab.sandbox.sent.map((m) => m.data.thing1?.value);

async function keysUnder(t: TestInstance, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of t.redis.scanIterator({
    MATCH: `${t.config.redisPrefix}${pattern}`,
    COUNT: 1000,
  })) {
    found.push(...(batch as unknown as string[]));
  }
  return found;
}

// docs/architecture.md#notifications
describe('notifications: one-off subscribe messages through the delivery pipeline', () => {
  it('sends a notification once, rendered with its template, and records its outcome and attempt', async () => {
    const t = await lab.start({ tuning: FAST_TUNING });
    const openid = lab.sandbox.openIdFor('nina');

    const [result] = await t.instance.notifications.send([
      note(openid, 'promise kept', { source: 'test:1' }),
    ]);

    await waitFor(() => lab.sandbox.sent.length === 1);
    const [message] = lab.sandbox.sent;
    expect(message).toMatchObject({ touser: openid, template_id: TEMPLATE });
    expect(message?.data.thing1?.value).toBe('promise kept');
    expect(message?.data.thing3?.value).toBe('from a test');
    await waitFor(async () => (await t.instance.notifications.get(result!.id))?.status === 'sent');
    const stored = await t.instance.notifications.get(result!.id);
    expect(stored).toMatchObject({ openid, source: 'test:1', status: 'sent', lastResult: { errcode: 0 } });
    expect(stored?.deliveries).toEqual([expect.objectContaining({ attempt: 1, result: 'sent', errcode: 0 })]);
    // Counted with the day's sends (what GET /api/admin/stats reads).
    const day = new Date().toISOString().slice(0, 10);
    const stats = new StatsStore(t.redis, t.instance.keys);
    expect((await stats.sendCounters([day]))[0]).toMatchObject({ sent: 1 });
  });

  it('sends a dedupe key once, however often it is asked for', async () => {
    const t = await lab.start({ tuning: FAST_TUNING });
    const openid = lab.sandbox.openIdFor('dora');
    const first = await t.instance.notifications.send([
      note(openid, 'kept 12-01', { dedupe: 'p:1:kept:12-01' }),
    ]);
    const again = await t.instance.notifications.send([
      note(openid, 'kept 12-01', { dedupe: 'p:1:kept:12-01' }),
      note(openid, 'kept 12-02', { dedupe: 'p:1:kept:12-02' }), // positive control: another key is sent
    ]);

    await waitFor(() => lab.sandbox.sent.length >= 2);
    await waitFor(async () => (await t.instance.notifications.get(again[1]!.id))?.status === 'sent');
    expect(again[0]).toEqual({ id: first[0]!.id, created: false });
    expect(again[1]?.created).toBe(true);
    expect(titles().sort()).toEqual(['kept 12-01', 'kept 12-02']);
  });

  it('sends 200 notifications stored by an instance that died before sending: once each across two instances', async () => {
    const redisPrefix = uniquePrefix();
    // Stored, but the instance that stored them died before handing them to its pipeline.
    const writer = await lab.start({ config: { redisPrefix }, start: false });
    const openid = lab.sandbox.openIdFor('many');
    const store = new NotificationStore(writer.redis, writer.instance.keys, 86_400_000);
    const stored = await store.create(
      Array.from({ length: 200 }, (_, n) => ({
        openid,
        templateId: TEMPLATE,
        page: '',
        title: `n${n}`,
        detail: 'from a test',
        timezone: 'Asia/Shanghai',
        fireAt: null,
        data: null,
        at: Date.now(),
        source: 'test',
      })),
      Date.now(),
    );
    expect(new Set(stored.map((s) => Number(s.id) % NOTIFICATION_SHARDS)).size).toBe(NOTIFICATION_SHARDS);

    // A WeChat call that times out may have been delivered, and is retried: give the sandbox time.
    const tuning = { ...FAST_TUNING, wxTimeoutMs: 5000 };
    const senders = [
      await lab.start({ config: { redisPrefix }, tuning }),
      await lab.start({ config: { redisPrefix }, tuning }),
    ];
    await waitFor(() => lab.sandbox.sent.length >= 200, 20_000);
    // Both keep sweeping; the records say every one is done, and nothing more goes out.
    await Promise.all(senders.map((s) => s.instance.notifications.sweep()));
    await waitFor(() => senders.every((s) => s.instance.dispatcher.pending === 0));
    expect(lab.sandbox.sent).toHaveLength(200);
    expect(new Set(titles()).size).toBe(200);
    const due = await Promise.all(
      Array.from({ length: NOTIFICATION_SHARDS }, (_, s) =>
        writer.redis.zCard(writer.instance.keys.notificationsDue(s)),
      ),
    );
    expect(due.every((n) => n === 0)).toBe(true);
  });

  it('sends a notification at its `at`, not before', async () => {
    const clock = new TestClock(Date.UTC(2026, 11, 1, 8, 0));
    const t = await lab.start({ now: clock.now, tuning: { ...FAST_TUNING, sweepIntervalMs: 50 } });
    const openid = lab.sandbox.openIdFor('later');
    await t.instance.notifications.send([
      note(openid, 'later', { at: clock.now() + 60_000 }),
      note(openid, 'now'), // positive control: due at once, sent in the same waits
    ]);

    await waitFor(() => titles().includes('now'));
    await t.instance.notifications.sweep();
    await t.instance.notifications.sweep();
    expect(titles()).toEqual(['now']);

    clock.advance(60_000);
    await waitFor(() => titles().includes('later'));
    expect(titles()).toEqual(['now', 'later']);
  });

  it('records no_quota and sends nothing when the recipient has no grant (QUOTA_MODE=enforce)', async () => {
    const t = await lab.start({ config: { quotaMode: 'enforce' }, tuning: FAST_TUNING });
    const openid = lab.sandbox.openIdFor('nogrant');
    const granted = lab.sandbox.openIdFor('granted');
    await t.instance.quota.grant(granted, TEMPLATE, 1);

    const [none, some] = await t.instance.notifications.send([
      note(openid, 'no grant'),
      note(granted, 'granted'),
    ]);

    await waitFor(async () => (await t.instance.notifications.get(none!.id))?.status === 'no_quota');
    await waitFor(async () => (await t.instance.notifications.get(some!.id))?.status === 'sent');
    expect(titles()).toEqual(['granted']);
  });

  it('refuses a notification its template cannot carry, naming the problem, and stores nothing', async () => {
    const t = await lab.start({ start: false });
    const openid = lab.sandbox.openIdFor('long');

    const sending = t.instance.notifications.send([note(openid, 'x'.repeat(40))]);

    await expect(sending).rejects.toBeInstanceOf(NotificationRenderError);
    await expect(sending).rejects.toThrow(/title/);
    expect(await keysUnder(t, 'notification*')).toEqual([]);
  });
});
