import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { api, bearer, login, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, type CreatedReminderView, type ReminderDetailView } from '../support/api-types';

// docs/architecture.md#the-quota-hint: "The create answer carries quota: {templateId, remaining} so the client knows at once
// whether the reminder will be able to reach WeChat, and what to ask wx.requestSubscribeMessage for."
const env = useSandbox();
let sandbox: WeChatSandbox;
let enforce: TestInstance;
let ignore: TestInstance;
let templateId: string;

beforeAll(async () => {
  ({ sandbox } = env);
  enforce = await env.start({ config: { quotaMode: 'enforce' }, tuning: { sweepIntervalMs: 200 } });
  ignore = await env.start({ config: { quotaMode: 'ignore' }, start: false });
  templateId = enforce.config.wx.templateId;
});

const inAnHour = () => Date.now() + 3_600_000;

async function created(t: TestInstance, token: string, path: string, body: object, key?: string) {
  const req = api(t).post(path).set(bearer(token));
  if (key) req.set('Idempotency-Key', key);
  const res = await req.send(body);
  expect(res.status).toBe(201);
  return { res, view: data<CreatedReminderView>(res) };
}

describe('the quota hint on create, QUOTA_MODE=enforce', () => {
  it('answers remaining 0 without a grant, then the ledger’s count once grants are recorded', async () => {
    const alice = await login(enforce, 'alice#1');
    const none = await created(enforce, alice, '/api/reminders', { title: '喝水', at: inAnHour() });
    expect(none.view.quota).toEqual({ templateId, remaining: 0, mode: 'enforce' });

    await api(enforce)
      .post('/api/subscriptions')
      .set(bearer(alice))
      .send({ results: { [templateId]: 'accept' } });
    await api(enforce)
      .post('/api/subscriptions')
      .set(bearer(alice))
      .send({ results: { [templateId]: 'accept' } });
    const two = await created(enforce, alice, '/api/reminders', { title: '喝水', at: inAnHour() });
    expect(two.view.quota).toEqual({ templateId, remaining: 2, mode: 'enforce' });
  });

  it('counts down as sends use the grants', async () => {
    const bob = await login(enforce, 'bob#1');
    await enforce.instance.quota.grant(sandbox.openIdFor('bob'), templateId, 2);
    const soon = await created(enforce, bob, '/api/reminders', { title: '马上', at: Date.now() + 200 });
    expect(soon.view.quota.remaining).toBe(2);
    await waitFor(async () => {
      const res = await api(enforce).get(`/api/reminders/${soon.view.id}`).set(bearer(bob));
      return data<ReminderDetailView>(res).status === 'sent';
    });
    const next = await created(enforce, bob, '/api/reminders', { title: '稍后', at: inAnHour() });
    expect(next.view.quota).toEqual({ templateId, remaining: 1, mode: 'enforce' });
  });

  it('is on the legacy create, and the same on an idempotent replay', async () => {
    const carol = await login(enforce, 'carol#1');
    await enforce.instance.quota.grant(sandbox.openIdFor('carol'), templateId, 3);
    const legacy = await created(enforce, carol, '/api/reminder', {
      title: '开会',
      reminderTime: inAnHour(),
    });
    expect(legacy.view.quota).toEqual({ templateId, remaining: 3, mode: 'enforce' });

    const body = { title: '一次', at: inAnHour() };
    const first = await created(enforce, carol, '/api/reminders', body, 'hint-1');
    const again = await created(enforce, carol, '/api/reminders', body, 'hint-1');
    expect(again.res.headers['idempotent-replayed']).toBe('true');
    expect(again.view).toEqual(first.view);
    expect(again.view.quota).toEqual({ templateId, remaining: 3, mode: 'enforce' });
  });
});

describe('the quota hint on create, QUOTA_MODE=ignore', () => {
  it('still answers the ledger’s count, and mode ignore: sends do not need it', async () => {
    const dan = await login(ignore, 'dan#1');
    const none = await created(ignore, dan, '/api/reminders', { title: '喝水', at: inAnHour() });
    expect(none.view.quota).toEqual({ templateId, remaining: 0, mode: 'ignore' });
    await ignore.instance.quota.grant(sandbox.openIdFor('dan'), templateId, 4);
    const four = await created(ignore, dan, '/api/reminder', { title: '喝水', reminderTime: inAnHour() });
    expect(four.view.quota).toEqual({ templateId, remaining: 4, mode: 'ignore' });
  });
});
