import path from 'node:path';
import { createClient } from 'redis';
import type { Tixing } from '../../lab/tixing';
import { RedisServer } from '../../src/infra/redis-server';
import { Keys } from '../../src/store/keys';
import { data, type ReminderView } from '../support/api-types';
import { login, useMainProcess } from '../support/harness';

const TEMPLATE_ID = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w'; // WX_TEMPLATE_ID's default
// A fresh folder per test: the embedded Redis keeps its data (and the last sandbox's token) there.
const main = useMainProcess('sigterm');

/** The URL of the WeChat sandbox a tixing with nothing configured runs, from its start-up log. */
function sandboxUrl(app: Tixing): string {
  const url = /"wxApiBase":"(http:\/\/[\d.]+:\d+)"/.exec(app.output())?.[1];
  if (!url) throw new Error(`no sandbox URL in the output:\n${app.output()}`);
  return url;
}

interface Envelope {
  errcode: number;
  data: Record<string, unknown>;
}

async function post(url: string, body: unknown, token?: string): Promise<{ status: number; json: Envelope }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Envelope };
}

/** Logs in, slows the sandbox down to `latencyMs`, creates a reminder due at once; waits until WeChat has it. */
async function sendInFlight(app: Tixing, latencyMs: number): Promise<string> {
  const token = await login(app.url, 'term#1');
  // QUOTA_MODE is enforce by default: the user accepts the template once, as the client reports it.
  const subscribed = await post(
    `${app.url}/api/subscriptions`,
    { results: { [TEMPLATE_ID]: 'accept' } },
    token,
  );
  expect(subscribed.status).toBe(200);
  expect((await post(`${sandboxUrl(app)}/__sandbox/faults`, { latencyMs })).status).toBe(200);
  const created = await post(`${app.url}/api/reminders`, { title: 'term', at: Date.now() + 300 }, token);
  expect(created.status).toBe(201);
  // After the token fetch, the sandbox has the message and holds its answer back for latencyMs.
  await app.waitForOutput(/wechat sandbox delivered/);
  return data<ReminderView>({ body: created.json }).id;
}

describe('npm start and signals', () => {
  it('on SIGTERM during a send, waits for WeChat’s answer, records it, and exits 0', async () => {
    const app = await main.start();
    const id = await sendInFlight(app, 2000);
    const signalledAt = Date.now();
    app.signal('SIGTERM');
    const { code, at } = await app.exit;
    expect(code).toBe(0);
    // It waited for the answer (about 2 s), and no longer than the 10 s bound.
    expect(at - signalledAt).toBeGreaterThan(1000);
    expect(at - signalledAt).toBeLessThan(10_000);
    expect(app.output()).toContain('"sendsFinished":true');

    // The outcome is in the embedded Redis's AOF: read it back with a redis-server on that data.
    const redis = await RedisServer.start({ dir: path.join(main.cwd, 'var', 'redis') });
    const client = createClient({ url: redis.url });
    try {
      await client.connect();
      const stored = await client.hGetAll(new Keys('tixing:').reminder(id));
      expect(stored.status).toBe('sent');
      expect(stored.fireCount).toBe('1');
      expect(await client.keys('tixing:claim:*')).toEqual([]); // every shard's claims: `claim:{u<shard>}:…`
    } finally {
      await client.close();
      await redis.stop();
    }
  }, 30_000);

  it('exits at once, with status 1, on a second signal', async () => {
    const app = await main.start();
    await sendInFlight(app, 4000); // under the 5 s WeChat call timeout
    app.signal('SIGTERM');
    await app.waitForOutput(/shutting down/);
    const secondAt = Date.now();
    app.signal('SIGINT');
    const { code, at } = await app.exit;
    expect(code).toBe(1);
    // Without waiting for the send in flight, whose answer is still seconds away.
    expect(at - secondAt).toBeLessThan(2500);
    expect(app.output()).toContain('second signal: exiting now');
  }, 30_000);
});
