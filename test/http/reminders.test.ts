import request from 'supertest';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { login, useSandbox, type TestInstance } from '../support/harness';
import { data, type ReminderPageView } from '../support/api-types';

const env = useSandbox();

let sandbox: WeChatSandbox;
let t: TestInstance;
let alice: string;
let bob: string;

beforeAll(async () => {
  ({ sandbox } = env);
  t = await env.start();
  alice = await login(t, 'alice#1');
  bob = await login(t, 'bob#1');
});

const api = () => request(t.instance.app.callback());
const as = (token: string) => ({ Authorization: `Bearer ${token}` });
const inAnHour = () => Date.now() + 3600_000;

async function countAll(token: string): Promise<number> {
  const res = await api().get('/api/reminders?limit=100').set(as(token));
  return data<ReminderPageView>(res).items.length;
}

describe('POST /api/reminders', () => {
  it('creates a one-shot reminder from an ISO time with offset and answers 201 with it', async () => {
    const at = new Date(inAnHour()).toISOString().replace('Z', '+00:00');
    const res = await api().post('/api/reminders').set(as(alice)).send({ title: '开会', detail: '三楼', at });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      kind: 'reminder',
      title: '开会',
      detail: '三楼',
      status: 'pending',
      repeat: null,
      timezone: 'Asia/Shanghai',
      nextFireAt: new Date(Date.parse(at)).toISOString(),
      fireCount: 0,
      lastResult: null,
    });
    expect(res.body.data).not.toHaveProperty('openid');
    expect(await t.redis.hGet(t.instance.keys.reminder(res.body.data.id), 'title')).toBe('开会');
  });

  it('starts a daily reminder without at at its next occurrence', async () => {
    const res = await api()
      .post('/api/reminders')
      .set(as(alice))
      .send({ title: '早安', repeat: { daily: '08:30' }, timezone: 'Asia/Shanghai' });
    expect(res.status).toBe(201);
    const next = Date.parse(res.body.data.nextFireAt);
    expect(next).toBeGreaterThan(Date.now());
    expect(next - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect(new Date(next + 8 * 3600_000).toISOString().slice(11, 16)).toBe('08:30');
  });

  it('rejects an at in the past with 400 naming at, and stores nothing', async () => {
    const before = await countAll(bob);
    const res = await api()
      .post('/api/reminders')
      .set(as(bob))
      .send({ title: 'late', at: Date.now() - 1000 });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ path: 'at', message: 'must be in the future' }]);
    expect(await countAll(bob)).toBe(before);
  });

  it('rejects an at more than 366 days ahead', async () => {
    const res = await api()
      .post('/api/reminders')
      .set(as(bob))
      .send({ title: 'far', at: Date.now() + 367 * 86_400_000 });
    expect(res.status).toBe(400);
    expect(res.body.details[0].path).toBe('at');
  });

  it('names every invalid field at once', async () => {
    const res = await api()
      .post('/api/reminders')
      .set(as(bob))
      .send({ title: '', detail: 'x'.repeat(501), at: 'tomorrow', page: 5 });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'at',
      'detail',
      'page',
      'title',
    ]);
  });

  it('rejects a bad cron, a bad daily time and an unknown zone with their paths', async () => {
    const cron = await api()
      .post('/api/reminders')
      .set(as(bob))
      .send({ title: 'c', repeat: { cron: '61 * * * *' } });
    expect(cron.status).toBe(400);
    expect(cron.body.details[0].path).toBe('repeat.cron');
    const daily = await api()
      .post('/api/reminders')
      .set(as(bob))
      .send({ title: 'd', repeat: { daily: '25:00' }, timezone: 'Mars/Base' });
    expect(daily.status).toBe(400);
    expect(daily.body.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'repeat.daily',
      'timezone',
    ]);
  });

  it('rejects a title that would break the template’s thing1 rule, naming title and thing1', async () => {
    const res = await api()
      .post('/api/reminders')
      .set(as(bob))
      .send({ title: '一二三四五六七八九十一二三四五六七八九十一', at: inAnHour() });
    expect(res.status).toBe(400);
    expect(res.body.details[0].path).toBe('title');
    expect(res.body.details[0].message).toContain('thing1');
  });

  it('names a bad time and a title that breaks the template in one answer', async () => {
    const res = await api()
      .post('/api/reminders')
      .set(as(bob))
      .send({ title: '一二三四五六七八九十一二三四五六七八九十一', at: Date.now() - 1000 });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['at', 'title']);
  });

  it('returns the first result for a retried create with the same Idempotency-Key', async () => {
    const body = { title: 'once', at: inAnHour() };
    const first = await api().post('/api/reminders').set(as(bob)).set('Idempotency-Key', 'k-1').send(body);
    const again = await api().post('/api/reminders').set(as(bob)).set('Idempotency-Key', 'k-1').send(body);
    expect(again.status).toBe(201);
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const bad = await api()
      .post('/api/reminders')
      .set(as(bob))
      .set('Idempotency-Key', 'has spaces')
      .send(body);
    expect(bad.status).toBe(400);
  });

  it('refuses a 501st pending reminder with 409', async () => {
    const carol = await login(t, 'carol#1');
    const openid = sandbox.openIdFor('carol');
    for (let i = 0; i < 500; i++)
      await t.instance.reminders.create(openid, { title: `r${i}`, at: inAnHour() + i });
    const res = await api()
      .post('/api/reminders')
      .set(as(carol))
      .send({ title: 'one too many', at: inAnHour() });
    expect(res.status).toBe(409);
    expect(res.body.errcode).toBe(40902);
  });

  it('answers 401 without a session', async () => {
    expect((await api().post('/api/reminders').send({ title: 'x', at: inAnHour() })).status).toBe(401);
  });
});

describe('GET /api/reminders', () => {
  it('lists the caller’s reminders newest first, paged, filtered by status', async () => {
    const dave = await login(t, 'dave#1');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api()
        .post('/api/reminders')
        .set(as(dave))
        .send({ title: `d${i}`, at: inAnHour() });
      ids.push(res.body.data.id);
    }
    await api().delete(`/api/reminders/${ids[1]}`).set(as(dave));
    const page1 = await api().get('/api/reminders?limit=2').set(as(dave));
    expect(page1.body.data.items.map((r: { id: string }) => r.id)).toEqual([ids[4], ids[3]]);
    const page2 = await api()
      .get(`/api/reminders?limit=2&cursor=${page1.body.data.nextCursor}`)
      .set(as(dave));
    expect(page2.body.data.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    const cancelled = await api().get('/api/reminders?status=cancelled').set(as(dave));
    expect(cancelled.body.data.items.map((r: { id: string }) => r.id)).toEqual([ids[1]]);
    // The original client's ?openid= is ignored: the session decides.
    const spoof = await api()
      .get(`/api/reminders?openid=${sandbox.openIdFor('alice')}`)
      .set(as(dave));
    expect(spoof.body.data.items).toHaveLength(5);
    expect((await api().get('/api/reminders?status=nope').set(as(dave))).status).toBe(400);
  });
});

describe('GET /api/reminders?status= over many records', () => {
  it('hands back a cursor when a page reads its bound without a match, and the match is found later', async () => {
    const erin = await login(t, 'erin#1');
    const openid = sandbox.openIdFor('erin');
    const old = await api().post('/api/reminders').set(as(erin)).send({ title: 'old', at: inAnHour() });
    // 5,100 newer reminders that are not pending, written straight to the store for speed (in
    // erin's shard, as the store would place them: one slot), a MULTI of 500 at a time: one of
    // 10,200 commands could outlast the client's 2 s reply deadline on a loaded machine.
    const shard = t.instance.keys.userShard(openid);
    for (let from = 0; from < 5100; from += 500) {
      const multi = t.redis.multi();
      for (let i = from; i < Math.min(from + 500, 5100); i++) {
        const id = t.instance.keys.reminderId(shard, 100_000 + i);
        multi.hSet(t.instance.keys.reminder(id), { id, openid, status: 'cancelled', title: `c${i}` });
        multi.zAdd(t.instance.keys.userReminders(openid), { score: Number(id), value: id });
      }
      await multi.exec();
    }
    const found: string[] = [];
    let cursor: string | null = '';
    for (let page = 0; page < 10 && cursor !== null; page++) {
      const query = `/api/reminders?status=pending&limit=5${cursor ? `&cursor=${cursor}` : ''}`;
      const { data } = (await api().get(query).set(as(erin))).body as {
        data: { items: { id: string }[]; nextCursor: string | null };
      };
      found.push(...data.items.map((r) => r.id));
      cursor = data.nextCursor;
    }
    expect(found).toEqual([old.body.data.id]);
    expect(cursor).toBeNull();
  });
});

describe('another user’s reminder', () => {
  it('is a 404 to read, edit or delete', async () => {
    const created = await api().post('/api/reminders').set(as(alice)).send({ title: 'mine', at: inAnHour() });
    const id = created.body.data.id;
    expect((await api().get(`/api/reminders/${id}`).set(as(bob))).status).toBe(404);
    expect((await api().patch(`/api/reminders/${id}`).set(as(bob)).send({ title: 'x' })).status).toBe(404);
    expect((await api().delete(`/api/reminders/${id}`).set(as(bob))).status).toBe(404);
    expect((await api().delete(`/api/reminder/${id}`).set(as(bob))).status).toBe(404);
    expect((await api().get(`/api/reminders/${id}`).set(as(alice))).body.data.status).toBe('pending');
  });
});

describe('PATCH /api/reminders/:id', () => {
  it('edits fields, validates them, and refuses an empty patch', async () => {
    const id = (await api().post('/api/reminders').set(as(alice)).send({ title: 'old', at: inAnHour() })).body
      .data.id;
    const ok = await api().patch(`/api/reminders/${id}`).set(as(alice)).send({ title: 'new', detail: 'd' });
    expect(ok.body.data).toMatchObject({ title: 'new', detail: 'd' });
    expect((await api().patch(`/api/reminders/${id}`).set(as(alice)).send({})).status).toBe(400);
    const past = await api()
      .patch(`/api/reminders/${id}`)
      .set(as(alice))
      .send({ at: Date.now() - 5 });
    expect(past.status).toBe(400);
    expect((await api().get(`/api/reminders/${id}`).set(as(alice))).body.data.title).toBe('new');
  });
});

describe('POST /api/promises/:type', () => {
  it('creates a daily give or ask reminder, also from the original client’s 0/1', async () => {
    const give = await api()
      .post('/api/promises/give')
      .set(as(alice))
      .send({ cid: 42, hour: 7, min: 5, detail: '跑步' });
    expect(give.status).toBe(201);
    expect(give.body.data).toMatchObject({
      kind: 'give',
      repeat: { daily: '07:05' },
      detail: '跑步',
      cid: '42',
    });
    const ask = await api()
      .post('/api/promises/1')
      .set(as(alice))
      .send({ cid: 'c9', hour: 21, min: 0, detail: '' });
    expect(ask.body.data).toMatchObject({ kind: 'ask', repeat: { daily: '21:00' } });
  });

  it('returns the first promise for a retried create with the same Idempotency-Key', async () => {
    const body = { cid: 7, hour: 6, min: 0, detail: '早起' };
    const first = await api()
      .post('/api/promises/give')
      .set(as(alice))
      .set('Idempotency-Key', 'p-1')
      .send(body);
    const again = await api()
      .post('/api/promises/give')
      .set(as(alice))
      .set('Idempotency-Key', 'p-1')
      .send(body);
    expect(again.body.data.id).toBe(first.body.data.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('rejects an unknown type and bad hour/min with 400, and no session with 401', async () => {
    expect(
      (await api().post('/api/promises/steal').set(as(alice)).send({ cid: 1, hour: 1, min: 1 })).status,
    ).toBe(400);
    const bad = await api().post('/api/promises/give').set(as(alice)).send({ cid: 1, hour: 24, min: 60 });
    expect(bad.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['hour', 'min']);
    expect((await api().post('/api/promises/give').send({ cid: 1, hour: 1, min: 1 })).status).toBe(401);
  });
});

describe('the original service’s routes', () => {
  it('POST /api/reminder creates with the session’s openid, DELETE /api/reminder/:id cancels', async () => {
    const created = await api().post('/api/reminder').set(as(bob)).send({
      title: '旧版',
      time: '明天',
      reminderTime: inAnHour(),
      enableSubscribe: true,
      openid: 'someone-else',
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    expect(await t.redis.hGet(t.instance.keys.reminder(id), 'openid')).toBe(sandbox.openIdFor('bob'));
    const gone = await api().delete(`/api/reminder/${id}`).set(as(bob));
    expect(gone.body.data.status).toBe('cancelled');
    expect(await t.redis.zScore(t.instance.keys.due(t.instance.keys.reminderShard(id)), id)).toBeNull();
  });
});
