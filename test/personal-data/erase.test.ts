import request from 'supertest';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { PushRequests } from '../push/push-requests';
import {
  afterSweeps,
  api,
  bearer,
  login,
  TEST_APPID,
  uniquePrefix,
  useSandbox,
  waitFor,
  type InstanceOptions,
  type TestInstance,
} from '../support/harness';
import {
  data,
  errorBody,
  type ErasureView,
  type PersonalExportView,
  type ReminderView,
} from '../support/api-types';
import { namesSubject, readKeyspace } from './keyspace';

// docs/architecture.md#a-persons-own-data: DELETE /api/me "erases all of the caller's data and sessions at once; their jobs are
// gone on every instance; later pushes about them are dropped".
const env = useSandbox();
const PUSH_TOKEN = 'AAAAA';
const wechat = new PushRequests({
  token: PUSH_TOKEN,
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', // plain mode: unused
  appId: TEST_APPID,
});
let sandbox: WeChatSandbox;

beforeAll(() => {
  ({ sandbox } = env);
});

/** Two instances on one Redis (one prefix), as two processes behind a load balancer. */
async function pair(
  config: InstanceOptions = {},
  secondSweepMs = 200,
): Promise<[TestInstance, TestInstance]> {
  const redisPrefix = uniquePrefix();
  const options = { ...config, config: { ...config.config, redisPrefix } };
  return [
    await env.start({ ...options, tuning: { sweepIntervalMs: 200 } }),
    await env.start({ ...options, tuning: { sweepIntervalMs: secondSweepMs } }),
  ];
}

const erase = (t: TestInstance, token: string) => api(t).delete('/api/me').set(bearer(token));
const list = (t: TestInstance, token: string) => api(t).get('/api/reminders').set(bearer(token));
const sentTo = (user: string) => sandbox.sent.filter((m) => m.touser === sandbox.openIdFor(user));
const leftNaming = async (t: TestInstance, openid: string, ids: string[] = []) =>
  (await readKeyspace(t.redis, t.config.redisPrefix)).filter((k) =>
    namesSubject({ openid, ids: new Set(ids) }, k),
  );

async function create(t: TestInstance, token: string, body: object): Promise<ReminderView> {
  const res = await api(t).post('/api/reminders').set(bearer(token)).send(body);
  expect(res.status).toBe(201);
  return data<ReminderView>(res);
}

describe('DELETE /api/me with two instances', () => {
  it('ends every session at once: each old token is 401 on both instances, others keep theirs', async () => {
    const [a, b] = await pair();
    const first = await login(a, 'uma#1');
    const second = await login(b, 'uma#2');
    const zed = await login(b, 'zed#1');

    const res = await erase(a, first);

    expect(res.status).toBe(200);
    expect(data<ErasureView>(res)).toMatchObject({ records: { account: 2 } });
    for (const t of [a, b]) {
      for (const token of [first, second]) {
        const answer = await list(t, token);
        expect({ status: answer.status, errcode: errorBody(answer).errcode }).toEqual({
          status: 401,
          errcode: 40102,
        });
      }
      expect((await list(t, zed)).status).toBe(200);
    }
  });

  it('removes their jobs on every instance: nothing is sent, while another user’s due then is', async () => {
    // The second instance sweeps every 30 s: only the erasure's announcement can drop its job in time.
    const [a, b] = await pair({}, 30_000);
    const uma = await login(a, 'uma#3');
    const zed = await login(b, 'zed#2');
    const at = Date.now() + 2000;
    const mine = await create(a, uma, { title: '她的', at });
    await create(b, zed, { title: '他的', at });
    // Both instances hold her job (the other learns of it over pub/sub).
    await waitFor(() => b.instance.scheduler.registry.has(mine.id), {
      what: 'the job on the other instance',
    });

    expect((await erase(a, uma)).status).toBe(200);

    await waitFor(() => !b.instance.scheduler.registry.has(mine.id), {
      timeoutMs: 1000,
      what: 'the job gone on the other instance',
    });
    expect(a.instance.scheduler.registry.has(mine.id)).toBe(false);
    await waitFor(() => sentTo('zed').length === 1, { what: 'the other user’s reminder, due then' });
    await afterSweeps(a);
    expect(sentTo('uma')).toEqual([]);
    expect(await leftNaming(a, sandbox.openIdFor('uma'), [mine.id])).toEqual([]);
  });

  it('waits for a send another instance has already claimed, so it leaves nothing behind', async () => {
    const [a, b] = await pair();
    const uma = await login(a, 'uma#4');
    sandbox.faults.latencyMs = 600; // WeChat is slow: the send is in flight when the erasure comes
    const mine = await create(b, uma, { title: '在路上', at: Date.now() + 200 });
    const claimed = await waitFor(
      async () => {
        const slot = Date.parse(mine.nextFireAt ?? '');
        return (await a.redis.exists(a.instance.keys.claim(mine.id, slot))) === 1;
      },
      { what: 'the claim of the send', everyMs: 5 },
    );
    expect(claimed).toBe(true);

    const res = await erase(a, uma);

    expect(res.status).toBe(200);
    // It was on its way: WeChat has it. Both instances' pipelines are idle, so whatever the send
    // was going to write (its attempt, its outcome) is written.
    await waitFor(() => sentTo('uma').length === 1, { what: 'the send in flight' });
    await waitFor(() => a.instance.dispatcher.pending + b.instance.dispatcher.pending === 0, {
      what: 'the send to finish',
    });
    await afterSweeps(b);
    expect(await leftNaming(a, sandbox.openIdFor('uma'), [mine.id])).toEqual([]);
  });
});

describe('DELETE /api/me and message push', () => {
  it('drops later pushes about the erased user until they log in again; others count meanwhile', async () => {
    const [t] = await pair({ config: { wx: { token: PUSH_TOKEN } } });
    const templateId = t.config.wx.templateId;
    const uma = await login(t, 'uma#5');
    const zed = await login(t, 'zed#5');
    const popup = async (user: string) => {
      const p = wechat.plain(
        wechat.popupJson(sandbox.openIdFor(user), [[templateId, 'accept']]),
        'application/json',
      );
      const res = await request(t.instance.app.callback())
        .post('/api/wx/message')
        .query(p.query)
        .set('Content-Type', p.type)
        .send(p.body);
      expect(res.text).toBe('success');
    };
    const quota = async (token: string) =>
      data<{ quota: Record<string, number> }>(await api(t).get('/api/subscriptions').set(bearer(token)))
        .quota[templateId] ?? 0;
    await popup('uma');
    expect(await quota(uma)).toBe(1);

    expect((await erase(t, uma)).status).toBe(200);
    await popup('uma');
    await popup('zed'); // the positive control: the same push for someone else counts

    expect(await quota(zed)).toBe(1);
    expect(await leftNaming(t, sandbox.openIdFor('uma'))).toEqual([]);
    // Back: a login lifts the tombstone, and their pushes count again.
    const again = await login(t, 'uma#6');
    expect(await quota(again)).toBe(0);
    await popup('uma');
    expect(await quota(again)).toBe(1);
  });
});

describe('GET /api/me/export and DELETE /api/me', () => {
  it('answer 401 without a session, and export is not cached', async () => {
    const [t] = await pair();
    expect((await api(t).get('/api/me/export')).status).toBe(401);
    expect((await api(t).delete('/api/me')).status).toBe(401);
    const uma = await login(t, 'uma#7');
    const res = await api(t).get('/api/me/export').set(bearer(uma));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(data<PersonalExportView>(res)).toMatchObject({
      openid: sandbox.openIdFor('uma'),
      account: { profile: { openid: sandbox.openIdFor('uma') }, sessions: { count: 1 } },
      reminders: [],
      subscriptions: { quota: {}, reports: {} },
      dailySends: {},
    });
  });

  it('ends a session from before the per-user index too (it joins the index on first use)', async () => {
    const [a, b] = await pair();
    const keys = a.instance.keys;
    const openid = sandbox.openIdFor('uma');
    const legacy = 'legacy-session-token-0123456789abcdef';
    // As an older version wrote it: the hash and its TTL, no expiresAt, no index entry.
    await a.redis.hSet(keys.session(legacy), {
      openid,
      sessionKey: 'old-key',
      createdAt: String(Date.now()),
    });
    await a.redis.expire(keys.session(legacy), 3600);
    expect((await list(b, legacy)).status).toBe(200);
    expect(await a.redis.zScore(keys.userSessions(openid), legacy)).not.toBeNull();
    const current = await login(a, 'uma#8');

    expect(data<ErasureView>(await erase(a, current)).records.account).toBe(2);

    expect((await list(b, legacy)).status).toBe(401);
    expect(await a.redis.exists(keys.session(legacy))).toBe(0);
  });

  it('can be repeated after logging in again, and erases what is new', async () => {
    const [t] = await pair();
    const first = await login(t, 'uma#9');
    await create(t, first, { title: '一', at: Date.now() + 3_600_000 });
    expect(data<ErasureView>(await erase(t, first)).records.reminders).toBe(1);
    const second = await login(t, 'uma#10');
    const again = await create(t, second, { title: '二', at: Date.now() + 3_600_000 });

    const res = await erase(t, second);

    expect(data<ErasureView>(res).records).toMatchObject({ account: 1, reminders: 1 });
    expect(await leftNaming(t, sandbox.openIdFor('uma'), [again.id])).toEqual([]);
  });
});
