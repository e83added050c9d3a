import { api, bearer, login, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { errorBody } from '../support/api-types';

// Sessions are looked up from memory once read, and Redis's invalidations keep that memory true:
// a session that ends on one instance (or in Redis itself) is refused at once on every instance.
const env = useSandbox();

async function pair(): Promise<[TestInstance, TestInstance]> {
  const redisPrefix = uniquePrefix();
  return [await env.start({ config: { redisPrefix } }), await env.start({ config: { redisPrefix } })];
}

const outcome = async (t: TestInstance, token: string) => {
  const res = await api(t).get('/api/reminders').set(bearer(token));
  return res.status === 200 ? 200 : { status: res.status, errcode: errorBody(res).errcode };
};
const refused = { status: 401, errcode: 40102 };

// On a Redis Cluster the cache is off (src/store/session-cache.ts); test/cluster/delivery.test.ts
// checks that an ended session is refused at once there.
const onCluster = process.env.TIXING_TEST_REDIS === 'cluster';

(onCluster ? describe.skip : describe)('session lookups from memory', () => {
  it('reads a session from Redis once, then answers from memory', async () => {
    const [a] = await pair();
    const token = await login(a, 'ann#1');
    const cache = a.instance.sessionCache;
    const { hits, reads } = cache;
    expect(await outcome(a, token)).toBe(200);
    for (let i = 0; i < 5; i++) expect(await outcome(a, token)).toBe(200);
    expect({ hits: cache.hits - hits, reads: cache.reads - reads }).toEqual({ hits: 5, reads: 1 });
  });

  it('refuses at once, on both instances, a remembered session that DELETE /api/me ends', async () => {
    const [a, b] = await pair();
    const token = await login(a, 'bob#1');
    const other = await login(b, 'cy#1');
    for (const t of [a, b]) {
      expect(await outcome(t, token)).toBe(200);
      expect(await outcome(t, other)).toBe(200);
    }
    const hits = b.instance.sessionCache.hits;
    expect(await outcome(b, token)).toBe(200);
    expect(b.instance.sessionCache.hits).toBe(hits + 1); // b answers it from memory
    expect((await api(a).delete('/api/me').set(bearer(token))).status).toBe(200);
    // No wait between the erasure's answer and these requests.
    expect(await outcome(b, token)).toEqual(refused);
    expect(await outcome(a, token)).toEqual(refused);
    // Positive control: the other user's remembered session still works on both.
    expect(await outcome(b, other)).toBe(200);
    expect(await outcome(a, other)).toBe(200);
  });

  it('refuses at once a remembered session deleted or expired in Redis itself', async () => {
    const [a, b] = await pair();
    const gone = await login(a, 'dee#1');
    const expired = await login(a, 'eve#1');
    const kept = await login(a, 'fay#1');
    for (const token of [gone, expired, kept]) expect(await outcome(b, token)).toBe(200);
    await b.redis.del(b.instance.keys.session(gone));
    expect(await outcome(b, gone)).toEqual(refused);
    const key = b.instance.keys.session(expired);
    await b.redis.pExpire(key, 1);
    await waitFor(async () => (await b.redis.exists(key)) === 0);
    expect(await outcome(b, expired)).toEqual(refused);
    expect(await outcome(b, kept)).toBe(200);
  });

  it('forgets everything when its connection drops, and stays right while it reconnects', async () => {
    const [a] = await pair();
    const token = await login(a, 'gus#1');
    expect(await outcome(a, token)).toBe(200);
    expect(a.instance.sessionCache.size).toBe(1);
    const clients = String(await a.redis.sendCommand(['CLIENT', 'LIST']));
    const id = new RegExp(`id=(\\d+) [^\\n]*name=tixing:sessions:${a.instance.id}\\b`).exec(clients)?.[1];
    expect(id).toBeDefined();
    // Redis forgets what a killed connection tracked: so must the instance.
    await a.redis.sendCommand(['CLIENT', 'KILL', 'ID', String(id)]);
    await waitFor(() => a.instance.sessionCache.size === 0, { what: 'the cache emptied' });
    await a.redis.del(a.instance.keys.session(token));
    expect(await outcome(a, token)).toEqual(refused);
  });
});
