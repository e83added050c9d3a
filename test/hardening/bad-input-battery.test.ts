import http from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Redis } from '../../src/store/redis';
import { login, useSandbox, type TestInstance } from '../support/harness';
import { send, type RawAnswer } from './raw-http';
import { badRequests, type BadRequest } from './bad-requests';

/**
 * The bad-input battery of issue 11: more than 1,000 generated bad requests across every route
 * that reads input (types, encodings, sizes, dates, zones, unicode, headers, methods) against one
 * in-process instance. None may be a 5xx, every 4xx is the JSON envelope, and nothing is stored.
 * (The memory half, RSS under 100,000 distinct bad inputs, is drills/bad-input-memory.ts.)
 */
const PUSH_TOKEN = 'batteryPushToken1';
const env = useSandbox();
let t: TestInstance;
let port: number;
let token: string;
let reminderId: string;

beforeAll(async () => {
  t = await env.start({ config: { wx: { token: PUSH_TOKEN } } });
  port = (await t.instance.listen(0, '127.0.0.1')).port;
  token = await login(t, 'battery#1');
  // Positive control before the battery: the routes take a good request (and an id to aim at).
  const created = await send(port, {
    method: 'POST',
    path: '/api/reminders',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ title: 'kept', at: Date.now() + 3_600_000 }),
  });
  expect(created.status).toBe(201);
  reminderId = (created.json?.data as { id: string }).id;
});

/**
 * Every key under the prefix but sessions and the retention pass's cursors (the scheduler's own
 * bookkeeping, written whenever its first sweep runs: whose turn, and each shard's cursor), with
 * its type and size: what "nothing stored" compares.
 */
async function storedState(redis: Redis, prefix: string): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    for (const key of batch as unknown as string[]) {
      if (key.startsWith(`${prefix}session:`) || key.startsWith(`${prefix}retention:`)) continue;
      const type = await redis.type(key);
      const size =
        type === 'hash'
          ? await redis.hLen(key)
          : type === 'zset'
            ? await redis.zCard(key)
            : type === 'set'
              ? await redis.sCard(key)
              : type === 'list'
                ? await redis.lLen(key)
                : type === 'string'
                  ? await redis.strLen(key)
                  : -1;
      state[key] = `${type}:${size}`;
    }
  }
  return state;
}

async function runAll(requests: BadRequest[]): Promise<{ request: BadRequest; answer: RawAnswer }[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const results: { request: BadRequest; answer: RawAnswer }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const request = requests[next++] as BadRequest;
      // A request refused before its body is read closes the connection: no reuse for those.
      const answer = await send(
        port,
        request,
        request.body && request.body.length > 32_000 ? undefined : agent,
      );
      results.push({ request, answer });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
  return results;
}

describe('the bad-input battery', () => {
  it('answers more than 1,000 bad requests with 4xx envelopes, no 5xx, and stores nothing', async () => {
    const requests = badRequests({
      token,
      adminToken: t.config.adminToken ?? '',
      reminderId,
      codings: { gzip: gzipSync, br: brotliCompressSync },
    });
    expect(requests.length).toBeGreaterThanOrEqual(1000);
    const kinds = new Set(requests.map((r) => r.kind));
    expect([...kinds].sort()).toEqual([
      'dates',
      'encodings',
      'headers',
      'methods',
      'sizes',
      'types',
      'unicode',
      'zones',
    ]);

    const before = await storedState(t.redis, t.config.redisPrefix);
    const results = await runAll(requests);
    const after = await storedState(t.redis, t.config.redisPrefix);

    const fivexx = results
      .filter((r) => r.answer.status >= 500)
      .map(
        (r) =>
          `${r.request.kind} ${r.request.method} ${r.request.path} → ${r.answer.status} ${r.answer.text}`,
      );
    expect(fivexx).toEqual([]);
    const notEnvelope = results
      .filter((r) => r.answer.status >= 400)
      .filter((r) => {
        const body = r.answer.json;
        return (
          !body ||
          typeof body.errmsg !== 'string' ||
          Math.floor((body.errcode ?? 0) / 100) !== r.answer.status ||
          /at .*\.(js|ts):\d+/.test(r.answer.text)
        );
      })
      .map(
        (r) =>
          `${r.request.kind} ${r.request.method} ${r.request.path} → ${r.answer.status} ${r.answer.text.slice(0, 120)}`,
      );
    expect(notEnvelope).toEqual([]);
    // Bad input is refused: at most an answer that ignores it (an unknown template reported).
    const accepted = results
      .filter((r) => r.answer.status < 400 && !r.request.mayBeAccepted)
      .map(
        (r) =>
          `${r.request.kind} ${r.request.method} ${r.request.path} ${r.request.label} → ${r.answer.status}`,
      );
    expect(accepted).toEqual([]);
    expect(after).toEqual(before);
    expect(t.logs.text()).not.toContain('unhandled error');

    // Positive control after the battery: the instance still creates, and the state check sees it.
    const created = await send(port, {
      method: 'POST',
      path: '/api/reminders',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'after', at: Date.now() + 3_600_000 }),
    });
    expect(created.status).toBe(201);
    expect(await storedState(t.redis, t.config.redisPrefix)).not.toEqual(before);
  }, 60_000);
});
