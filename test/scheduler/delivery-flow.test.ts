import request from 'supertest';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { login, sweepControl, useSandbox, waitFor, type TestInstance } from '../support/harness';

const env = useSandbox();
let sandbox: WeChatSandbox;
let t: TestInstance;
let token: string;

beforeAll(async () => {
  ({ sandbox } = env);
  t = await env.start({ tuning: { sweepIntervalMs: 200 } });
  token = await login(t, 'alice#1');
});

const api = () => request(t.instance.app.callback());
const auth = () => ({ Authorization: `Bearer ${token}` });

async function create(body: Record<string, unknown>) {
  const res = await api().post('/api/reminders').set(auth()).send(body);
  expect(res.status).toBe(201);
  return res.body.data as { id: string; nextFireAt: string };
}

describe('a one-shot reminder', () => {
  it('reaches WeChat once, at its time, for the session user, with the template rendered, then reads sent', async () => {
    const at = Date.now() + 2000;
    const { id } = await create({ title: '喝水', detail: '八杯', at, timezone: 'Asia/Shanghai' });
    const openid = sandbox.openIdFor('alice');
    const sent = await waitFor(
      () => sandbox.sent.find((m) => m.touser === openid && m.data.thing1?.value === '喝水'),
      6000,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(at);
    expect(sent.template_id).toBe(t.config.wx.templateId);
    expect(sent.data.thing3?.value).toBe('八杯');
    expect(sent.data.time2?.value).toBe(
      new Intl.DateTimeFormat('zh-CN', {
        timeZone: 'Asia/Shanghai',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
      })
        .format(at)
        .replace(/\//g, '-')
        .replace(/^(\d+)-(\d+)-(\d+)$/, '$1年$2月$3日') +
        ' ' +
        new Intl.DateTimeFormat('en-GB', {
          timeZone: 'Asia/Shanghai',
          hour: '2-digit',
          minute: '2-digit',
          hourCycle: 'h23',
        }).format(at),
    );
    expect(sent.miniprogram_state).toBe('formal');
    const res = await waitFor(async () => {
      const r = await api().get(`/api/reminders/${id}`).set(auth());
      return r.body.data.status === 'sent' ? r : undefined;
    });
    expect(res.body.data.lastResult).toMatchObject({ errcode: 0, errmsg: 'ok', msgid: sent.msgid });
    expect(res.body.data.deliveries).toHaveLength(1);
    expect(res.body.data.nextFireAt).toBeNull();
    await sweepControl(env, t); // a few sweeps later: still exactly one send
    expect(sandbox.sent.filter((m) => m.data.thing1?.value === '喝水')).toHaveLength(1);
  });
});

describe('PATCH /api/reminders/:id', () => {
  it('moves only that reminder’s job; the others keep theirs', async () => {
    const far = Date.now() + 10 * 60_000;
    const a = await create({ title: 'A', at: far });
    const b = await create({ title: 'B', at: far + 1000 });
    const registry = t.instance.scheduler.registry;
    const jobB = registry.jobOf(b.id);
    expect(jobB).toBeTruthy();
    const res = await api()
      .patch(`/api/reminders/${a.id}`)
      .set(auth())
      .send({ at: far + 5000 });
    expect(res.status).toBe(200);
    expect(res.body.data.nextFireAt).toBe(new Date(far + 5000).toISOString());
    expect(registry.fireAtOf(a.id)).toBe(far + 5000);
    expect(registry.jobOf(b.id)).toBe(jobB);
    expect(await t.redis.zScore(t.instance.keys.due(t.instance.keys.reminderShard(a.id)), a.id)).toBe(
      far + 5000,
    );
  });

  it('re-times a reminder so it is sent at the new time only', async () => {
    const { id } = await create({ title: 'moved', at: Date.now() + 60_000 });
    await api()
      .patch(`/api/reminders/${id}`)
      .set(auth())
      .send({ at: Date.now() + 800 });
    await waitFor(() => sandbox.sent.some((m) => m.data.thing1?.value === 'moved'), 5000);
  });
});

describe('DELETE /api/reminders/:id', () => {
  it('cancels before the time: no send, the job is gone at once', async () => {
    const at = Date.now() + 1200;
    const { id } = await create({ title: 'never', at });
    // Positive control: one due at the same time and left alone is sent.
    await create({ title: 'kept', at });
    expect(t.instance.scheduler.registry.has(id)).toBe(true);
    const res = await api().delete(`/api/reminders/${id}`).set(auth());
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('cancelled');
    expect(t.instance.scheduler.registry.has(id)).toBe(false);
    await waitFor(() => sandbox.sent.some((m) => m.data.thing1?.value === 'kept'), 5000);
    await sweepControl(env, t); // and the sweeps after the time, which would find a stale due entry
    expect(sandbox.sent.some((m) => m.data.thing1?.value === 'never')).toBe(false);
  });
});
