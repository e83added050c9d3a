import request from 'supertest';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { listRoutes, routeName } from '../docs/routes';
import { api, bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { data, type PersonalExportView, type ReminderView } from '../support/api-types';
import { notPersonal, PUSH_TOKEN, STEPS, promiseIdsOf, reminderIdsOf, type World } from './every-feature';
import {
  atomsOfExport,
  atomsOfKey,
  familyOf,
  namesSubject,
  readKeyspace,
  type StoredKey,
  type Subject,
} from './keyspace';

// docs/architecture.md#a-persons-own-data (GET /api/me/export, DELETE /api/me) held to every feature at once: a user who used
// everything, every key under the prefix read whole, before and after the erasure.
const env = useSandbox();
let sandbox: WeChatSandbox;
let t: TestInstance;
let world: World;
const called = new Set<string>();
let otherReminder: string;

beforeAll(async () => {
  ({ sandbox } = env);
  t = await env.start({
    config: { quotaMode: 'enforce', wx: { token: PUSH_TOKEN } },
    tuning: { sweepIntervalMs: 200 },
  });
  // Reminder ids far from other counters' (notification ids, promise days…): a member equal to one
  // of the subject's ids is then theirs. (Every shard's counter: ids are `seq × DUE_SHARDS + shard`.)
  for (let shard = 0; shard < t.instance.keys.dueShards; shard++)
    await t.redis.set(t.instance.keys.reminderShardSeq(shard), '900000');
  const subject = {
    name: 'uma',
    openid: sandbox.openIdFor('uma'),
    tokens: [await login(t, 'uma#1'), await login(t, 'uma#2')],
  };
  const other = { name: 'pat', openid: sandbox.openIdFor('pat'), token: await login(t, 'pat#1') };
  world = {
    t,
    sandbox,
    subject,
    other,
    mark(route) {
      called.add(route);
    },
    async call(token, route, params = {}, body, query) {
      const [method = '', template = ''] = route.split(' ');
      const path = template.replace(/\{([a-z]+)\}/gi, (_, name: string) =>
        encodeURIComponent(params[name] ?? ''),
      );
      let req = request(t.instance.app.callback())[method.toLowerCase() as 'get'](path).set(bearer(token));
      if (query) req = req.query(query);
      const res = await (body === undefined ? req : req.send(body as object));
      if (res.status >= 300) throw new Error(`${route} answered ${res.status} ${res.text}`);
      called.add(route);
      return res;
    },
  };
  // The other person has data of their own, which the subject's erasure must leave alone.
  const theirs = await api(t)
    .post('/api/reminders')
    .set(bearer(other.token))
    .send({ title: '他的', at: Date.now() + 3_600_000 });
  otherReminder = data<ReminderView>(theirs).id;
  for (const step of STEPS) await step.run(world);
}, 60_000);

describe('a user’s data, across every feature', () => {
  let subject: Subject;
  let before: StoredKey[];
  let exported: PersonalExportView;

  beforeAll(async () => {
    // Ids of records only the subject owns: their reminders. A promise's id (from the same
    // counter, shared with its reminder) is the other party's too.
    const token = world.subject.tokens[0] ?? '';
    const ids = await reminderIdsOf(world, token);
    for (const id of await promiseIdsOf(world, token)) ids.delete(id);
    subject = { openid: world.subject.openid, ids };
    before = await readKeyspace(t.redis, t.config.redisPrefix);
    const res = await api(t)
      .get('/api/me/export')
      .set(bearer(world.subject.tokens[0] ?? ''));
    expect(res.status).toBe(200);
    exported = data<PersonalExportView>(res);
  });

  it('uses every route the app serves to users (add a step to every-feature.ts for a new one)', () => {
    const served = listRoutes(t.instance.app).map(routeName);
    const stepped = new Set(STEPS.flatMap((s) => s.routes));
    expect(served.filter((r) => !notPersonal(r) && !stepped.has(r))).toEqual([]);
    expect([...stepped].filter((r) => !called.has(r))).toEqual([]); // each step calls what it names
    expect(subject.ids.size).toBeGreaterThanOrEqual(7);
  });

  it('keeps nothing naming the user outside a family a personal-data contributor declares', () => {
    const families = t.instance.personalData.families();
    const undeclared = before
      .map((key) => ({ key: key.name, why: namesSubject(subject, key) }))
      .filter(({ key, why }) => why !== null && !familyOf(subject, families, key));
    expect(undeclared).toEqual([]);
    // The test sees what it should: keys of several families name the user.
    const named = new Set(
      before.filter((k) => namesSubject(subject, k)).map((k) => familyOf(subject, families, k.name)?.pattern),
    );
    expect(named.size).toBeGreaterThanOrEqual(10);
  });

  it('exports every record of those families, and no token or session_key', async () => {
    const families = t.instance.personalData.families();
    const atoms = atomsOfExport(exported);
    const missing = before.flatMap((key) => {
      const family = namesSubject(subject, key) ? familyOf(subject, families, key.name) : undefined;
      if (!family) return [];
      const absent = atomsOfKey(subject, key, family).filter((atom) => !atoms.has(atom));
      return absent.length > 0 ? [{ key: key.name, absent }] : [];
    });
    expect(missing).toEqual([]);
    expect(exported).toMatchObject({ openid: subject.openid, account: { sessions: { count: 2 } } });
    const text = JSON.stringify(exported);
    for (const token of world.subject.tokens) expect(text).not.toContain(token);
    for (const token of world.subject.tokens) {
      const sessionKey = await t.redis.hGet(t.instance.keys.session(token), 'sessionKey');
      expect(sessionKey).toBeTruthy();
      expect(text).not.toContain(sessionKey);
    }
  });

  it('after DELETE /api/me, no key or member names them, their tokens are 401, the others’ data stays', async () => {
    const [token = '', second = ''] = world.subject.tokens;
    const res = await api(t).delete('/api/me').set(bearer(token));
    expect(res.status).toBe(200);

    const after = await readKeyspace(t.redis, t.config.redisPrefix);
    const left = after.flatMap((key) => {
      const why = namesSubject(subject, key);
      return why ? [{ key: key.name, why }] : [];
    });
    expect(left).toEqual([]);
    for (const old of [token, second]) {
      expect((await api(t).get('/api/reminders').set(bearer(old))).status).toBe(401);
    }
    // The positive control: the other person's session, records and indexes are untouched.
    const theirs = after.filter((key) => key.name.includes(world.other.openid)).map((k) => k.name);
    expect(theirs).toEqual(
      expect.arrayContaining([
        `user:${world.other.openid}`,
        t.instance.keys.userReminders(world.other.openid).slice(t.instance.keys.prefix.length),
      ]),
    );
    const read = await api(t).get(`/api/reminders/${otherReminder}`).set(bearer(world.other.token));
    expect(read.status).toBe(200);
    expect(data<ReminderView>(read).status).toBe('pending');
  });
});
