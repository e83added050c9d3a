import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { api, bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { attemptsOf, createReminder, FAST_TUNING, settled } from './delivery-helpers';

const env = useSandbox();
let sandbox: WeChatSandbox;
let t: TestInstance;
let auth: string;
let openid: string;
let templateId: string;

beforeAll(async () => {
  ({ sandbox } = env);
  t = await env.start({ config: { quotaMode: 'enforce' }, tuning: FAST_TUNING });
  auth = await login(t, 'alice#1');
  openid = sandbox.openIdFor('alice');
  templateId = t.config.wx.templateId;
});

beforeEach(async () => {
  await t.redis.del(t.instance.keys.quota(openid));
});

const ledger = async () => (await t.instance.quota.remaining(openid))[templateId];

// docs/architecture.md#redis-is-the-source-of-truth (quota left?) and docs/wechat.md#subscriptions
describe('subscription quota, QUOTA_MODE=enforce', () => {
  it('sends nothing without a grant and records no_quota', async () => {
    const id = await createReminder(t, auth, 'no grant');

    const view = await settled(t, auth, id);

    expect(view.status).toBe('no_quota');
    expect(view.lastResult).toMatchObject({ errcode: null, msgid: null });
    expect(attemptsOf(view)).toEqual([{ attempt: 1, result: 'no_quota', errcode: null }]);
    expect(sandbox.stats.sendCalls).toBe(0);
    expect(sandbox.stats.stableTokenFetches).toBe(0); // not even a token was needed
    expect(await ledger()).toBeUndefined();
  });

  it('consumes the grant of an accepted send (1 → 0)', async () => {
    await t.instance.quota.grant(openid, templateId);
    expect(await ledger()).toBe(1);
    const id = await createReminder(t, auth, 'one grant');

    const view = await settled(t, auth, id);

    expect(view.status).toBe('sent');
    expect(await ledger()).toBe(0);
    expect(sandbox.sent.map((m) => [m.touser, m.template_id])).toEqual([[openid, templateId]]);
  });

  it('gives the grant back when WeChat does not accept the send', async () => {
    await t.instance.quota.grant(openid, templateId);
    sandbox.faults.next = [{ errcode: 40003 }];
    const id = await createReminder(t, auth, 'refused');

    expect((await settled(t, auth, id)).status).toBe('failed');
    expect(await ledger()).toBe(1);
  });

  it('zeroes the ledger and records no_quota when WeChat answers 43101', async () => {
    await t.instance.quota.grant(openid, templateId, 3); // the ledger thinks 3 are left; WeChat knows none
    sandbox.faults.noQuotaFor = [openid];
    const id = await createReminder(t, auth, 'ledger drift');

    const view = await settled(t, auth, id);

    expect(view.status).toBe('no_quota');
    expect(view.lastResult).toMatchObject({ errcode: 43101 });
    expect(attemptsOf(view)).toEqual([{ attempt: 1, result: 'no_quota', errcode: 43101 }]);
    expect(sandbox.stats.sendCalls).toBe(1);
    expect(sandbox.sent).toHaveLength(0);
    expect(await ledger()).toBe(0);

    // The next reminder of that template is refused by the ledger, without calling WeChat.
    const next = await createReminder(t, auth, 'after drift');
    expect((await settled(t, auth, next)).status).toBe('no_quota');
    expect(sandbox.stats.sendCalls).toBe(1);
  });
});

// docs/wechat.md#field-rules: checked at creation, never a 47003 at send time
describe('POST /api/reminders template field rules', () => {
  it('refuses a title too long for thing1 with 400 naming title and thing1, and stores nothing', async () => {
    const zoe = await login(t, 'zoe#1');
    const zoeId = sandbox.openIdFor('zoe');
    const title = '一二三四五六七八九十abcdefghij!'; // 21 characters; thing ≤ 20
    expect([...title]).toHaveLength(21);

    const res = await api(t)
      .post('/api/reminders')
      .set(bearer(zoe))
      .send({ title, at: Date.now() + 60_000 });

    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe(40001);
    expect(res.body.details).toEqual([{ path: 'title', message: expect.stringContaining('thing1') }]);
    const list = await api(t).get('/api/reminders').set(bearer(zoe));
    expect(list.status).toBe(200);
    expect(list.body.data.items).toEqual([]);
    expect(await t.redis.zCard(t.instance.keys.userReminders(zoeId))).toBe(0);
    expect(await t.instance.store.dueCount()).toBe(0);

    // 20 characters fit.
    const ok = await api(t)
      .post('/api/reminders')
      .set(bearer(zoe))
      .send({ title: [...title].slice(0, 20).join(''), at: Date.now() + 60_000 });
    expect(ok.status).toBe(201);
    await api(t).delete(`/api/reminders/${ok.body.data.id}`).set(bearer(zoe));
  });
});
