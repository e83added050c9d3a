import request from 'supertest';
import { login, TEST_APPID, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data as viewOf, present, type ReminderView } from '../support/api-types';
import { parseMetrics, valueOf } from '../support/metrics-text';
import { PushRequests } from './push-requests';

// docs/architecture.md#delivery-reports-can-fail-a-send: a subscribe_msg_sent_event whose ErrorCode
// is not 0 turns that delivery's outcome into `failed` with WeChat's ErrorStatus, in the reminder,
// in stats and in metrics.

const TOKEN = 'reportToken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const T1 = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
const wechat = new PushRequests({ token: TOKEN, aesKey: AES_KEY, appId: TEST_APPID });

const env = useSandbox();
let t: TestInstance;
let auth: { Authorization: string };
let openid: string;

beforeAll(async () => {
  t = await env.start({
    config: { wx: { token: TOKEN, aesKey: AES_KEY } },
    tuning: { sweepIntervalMs: 200 },
  });
  const session = await login(t, 'report#1');
  auth = { Authorization: `Bearer ${session}` };
  openid = (await t.redis.hGet(t.instance.keys.session(session), 'openid')) ?? '';
  expect(openid).toMatch(/^o/);
});

const api = () => request(t.instance.app.callback());
const reminder = async (id: string) => (await api().get(`/api/reminders/${id}`).set(auth)).body.data;

/** Creates a one-shot reminder, lets the sandbox accept it, and answers its id and msgid. */
async function deliveredReminder(title: string): Promise<{ id: string; msgid: string }> {
  const created = await api()
    .post('/api/reminders')
    .set(auth)
    .send({ title, at: Date.now() + 800 });
  expect(created.status).toBe(201);
  const id = viewOf<ReminderView>(created).id;
  const sent = await waitFor(async () => {
    const data = await reminder(id);
    return data.status === 'sent' ? data : undefined;
  }, 10_000);
  const msgid = present(sent.lastResult.msgid, 'a msgid');
  expect(msgid).toBeTruthy();
  return { id, msgid };
}

/** WeChat's final word on one msgid, as a secure-mode JSON push. */
async function report(msgid: string, errorCode: string, errorStatus: string): Promise<void> {
  const message = JSON.stringify({
    ToUserName: 'gh_123456789abc',
    FromUserName: openid,
    CreateTime: wechat.createTime(),
    MsgType: 'event',
    Event: 'subscribe_msg_sent_event',
    List: { TemplateId: T1, MsgID: msgid, ErrorCode: errorCode, ErrorStatus: errorStatus },
  });
  const push = wechat.encrypted(message, 'json');
  const res = await api()
    .post('/api/wx/message')
    .query(push.query)
    .set('Content-Type', push.type)
    .send(push.body);
  expect(res.status).toBe(200);
  expect(res.text).toBe('success');
}

async function sends(): Promise<{ total: Record<string, number>; today: Record<string, number> }> {
  const res = await api().get('/api/admin/stats').set('Authorization', `Bearer ${t.config.adminToken}`);
  expect(res.status).toBe(200);
  const day = new Date().toISOString().slice(0, 10);
  return { total: res.body.data.sends.total, today: res.body.data.sends.byDay[day] ?? {} };
}

async function reports(labels: Record<string, string>): Promise<number | undefined> {
  const res = await api().get('/metrics');
  expect(res.status).toBe(200);
  return valueOf(parseMetrics(res.text), 'tixing_delivery_reports_total', labels);
}

describe('subscribe_msg_sent_event, end to end', () => {
  it('turns a delivery WeChat reports failed into `failed` with its ErrorStatus, in the reminder, stats and metrics', async () => {
    const failed = await deliveredReminder('failing');
    const delivered = await deliveredReminder('arriving');
    expect(await sends()).toMatchObject({ total: { sent: 2 } });

    await report(failed.msgid, '10605', 'fail');
    await report(delivered.msgid, '0', 'success'); // positive control, through the same path

    const lost = await reminder(failed.id);
    expect(lost.status).toBe('failed');
    expect(lost.lastResult).toMatchObject({ errcode: 10605, errmsg: 'fail', msgid: failed.msgid });
    expect(lost.deliveries.find((d: { msgid: string }) => d.msgid === failed.msgid)).toMatchObject({
      result: 'failed',
      confirmed: { errorCode: '10605', status: 'fail' },
    });
    const kept = await reminder(delivered.id);
    expect(kept.status).toBe('sent');
    expect(kept.lastResult).toMatchObject({ errcode: 0, msgid: delivered.msgid });
    expect(kept.deliveries.find((d: { msgid: string }) => d.msgid === delivered.msgid)).toMatchObject({
      result: 'sent',
      confirmed: { errorCode: '0', status: 'success' },
    });

    // The send moves from `sent` to `failed` on the day it was sent: two sends, counted once each.
    expect(await sends()).toEqual({ total: { failed: 1, sent: 1 }, today: { failed: 1, sent: 1 } });
    expect(await reports({ result: 'failed', error_code: '10605' })).toBe(1);
    expect(await reports({ result: 'delivered', error_code: '0' })).toBe(1);
  });

  it("finds a send by its msgid link in the user's shard, and by a link of the layout before it", async () => {
    const moved = await deliveredReminder('linked in the shard');
    const { keys } = t.instance;
    const link = await t.redis.get(keys.msgid(openid, moved.msgid));
    expect(link).toMatch(new RegExp(`^${moved.id}:\\d+$`));
    expect(await t.redis.pTTL(keys.msgid(openid, moved.msgid))).toBeGreaterThan(6 * 86_400_000);
    // A link written by an earlier version under its old name, until it expires.
    const older = await deliveredReminder('linked the old way');
    const occurrence = present(await t.redis.get(keys.msgid(openid, older.msgid)), 'the link');
    await t.redis.del(keys.msgid(openid, older.msgid));
    await t.redis.set(keys.legacyMsgid(older.msgid), occurrence, { EX: 60 });

    await report(moved.msgid, '10605', 'fail');
    await report(older.msgid, '10605', 'fail');
    expect((await reminder(moved.id)).status).toBe('failed');
    expect((await reminder(older.id)).status).toBe('failed');
  });

  it('counts a second failure report for the same msgid once', async () => {
    const { id, msgid } = await deliveredReminder('reported twice');
    const [before, metricBefore] = [
      await sends(),
      (await reports({ result: 'failed', error_code: '10605' })) ?? 0,
    ];
    await report(msgid, '10605', 'fail');
    await report(msgid, '10605', 'fail'); // another push, same msgid (not WeChat's retry of the first)
    expect((await reminder(id)).status).toBe('failed');
    const after = await sends();
    expect(after.total.failed).toBe((before.total.failed ?? 0) + 1);
    expect(after.total.sent).toBe((before.total.sent ?? 0) - 1);
    expect(await reports({ result: 'failed', error_code: '10605' })).toBe(metricBefore + 1);
  });
});

describe('subscribe_msg_sent_event for a notification', () => {
  it('marks a notification delivered or failed, in its record and in stats', async () => {
    const [failing, arriving] = await t.instance.notifications.send([
      { openid, templateId: T1, title: 'n failing', timezone: 'Asia/Shanghai' },
      { openid, templateId: T1, title: 'n arriving', timezone: 'Asia/Shanghai' },
    ]);
    const msgidOf = async (id: string) =>
      waitFor(async () => {
        const n = await t.instance.notifications.get(id);
        return n?.status === 'sent' ? present(n.lastResult?.msgid, 'a msgid') : undefined;
      }, 10_000);
    const failedMsgid = await msgidOf(failing!.id);
    const deliveredMsgid = await msgidOf(arriving!.id);
    const before = await sends();

    await report(failedMsgid, '10605', 'fail');
    await report(deliveredMsgid, '0', 'success'); // positive control
    await report(failedMsgid, '10605', 'fail'); // a second report changes nothing

    expect(await t.instance.notifications.states([failing!.id, arriving!.id, '999999'])).toEqual([
      { status: 'failed', delivery: 'failed' },
      { status: 'sent', delivery: 'delivered' },
      null,
    ]);
    expect((await t.instance.notifications.get(failing!.id))?.lastResult).toMatchObject({
      errcode: 10605,
      errmsg: 'fail',
      msgid: failedMsgid,
    });
    const after = await sends();
    expect(after.total.failed).toBe((before.total.failed ?? 0) + 1);
    expect(after.total.sent).toBe((before.total.sent ?? 0) - 1);
  });
});
