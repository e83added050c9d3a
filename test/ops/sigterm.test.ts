import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import { RedisServer } from '../../src/infra/redis-server';

const ROOT = path.resolve(__dirname, '..', '..');
const TEMPLATE_ID = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w'; // WX_TEMPLATE_ID's default

interface Started {
  child: ChildProcess;
  url: string;
  wxApiBase: string;
  output: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

/** `src/main.ts` through tsx in `cwd`, with nothing configured (embedded Redis, sandbox). */
async function startMain(cwd: string): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info' };
  for (const name of ['REDIS_URL', 'REDIS_PREFIX', 'WX_APPID', 'WX_APPSECRET', 'WX_TOKEN', 'WX_AES_KEY'])
    delete env[name];
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/main.ts')],
    { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  const url = await until(() => /tixing is listening on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1], 15_000);
  const wxApiBase = /"wxApiBase":"(http:\/\/[\d.]+:\d+)"/.exec(output)?.[1];
  if (!wxApiBase) throw new Error(`no sandbox URL in the output:\n${output}`);
  return { child, url, wxApiBase, output: () => output, exited };
}

async function until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
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
async function sendInFlight(app: Started, latencyMs: number): Promise<string> {
  const login = await post(`${app.url}/api/login`, { code: 'term#1' });
  const token = login.json.data.token as string;
  // QUOTA_MODE is enforce by default: the user accepts the template once, as the client reports it.
  const subscribed = await post(
    `${app.url}/api/subscriptions`,
    { results: { [TEMPLATE_ID]: 'accept' } },
    token,
  );
  expect(subscribed.status).toBe(200);
  expect((await post(`${app.wxApiBase}/__sandbox/faults`, { latencyMs })).status).toBe(200);
  const created = await post(`${app.url}/api/reminders`, { title: 'term', at: Date.now() + 300 }, token);
  expect(created.status).toBe(201);
  // After the token fetch, the sandbox has the message and holds its answer back for latencyMs.
  await until(() => (app.output().includes('wechat sandbox delivered') ? true : undefined), 10_000);
  return created.json.data.id as string;
}

const children: ChildProcess[] = [];
let cwd: string;

// A fresh folder per test: the embedded Redis keeps its data (and the last sandbox's token) there.
beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'tixing-sigterm-'));
});

afterEach(async () => {
  // A test that failed half-way leaves its child running: stop it the polite way first, so that it
  // stops its embedded redis-server too.
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(cwd, { recursive: true, force: true });
}, 20_000);

describe('npm start and signals', () => {
  it('on SIGTERM during a send, waits for WeChat’s answer, records it, and exits 0', async () => {
    const app = await startMain(cwd);
    const id = await sendInFlight(app, 2000);
    const signalledAt = Date.now();
    app.child.kill('SIGTERM');
    const { code, at } = await app.exited;
    expect(code).toBe(0);
    // It waited for the answer (about 2 s), and no longer than the 10 s bound.
    expect(at - signalledAt).toBeGreaterThan(1000);
    expect(at - signalledAt).toBeLessThan(10_000);
    expect(app.output()).toContain('"sendsFinished":true');

    // The outcome is in the embedded Redis's AOF: read it back with a redis-server on that data.
    const redis = await RedisServer.start({ dir: path.join(cwd, 'var', 'redis') });
    const client = createClient({ url: redis.url });
    try {
      await client.connect();
      const stored = await client.hGetAll(`tixing:reminder:${id}`);
      expect(stored.status).toBe('sent');
      expect(stored.fireCount).toBe('1');
      expect(await client.keys('tixing:claim:*')).toEqual([]);
    } finally {
      await client.close();
      await redis.stop();
    }
  }, 30_000);

  it('exits at once, with status 1, on a second signal', async () => {
    const app = await startMain(cwd);
    await sendInFlight(app, 4000); // under the 5 s WeChat call timeout
    app.child.kill('SIGTERM');
    await until(() => (app.output().includes('shutting down') ? true : undefined), 2000);
    const secondAt = Date.now();
    app.child.kill('SIGINT');
    const { code, at } = await app.exited;
    expect(code).toBe(1);
    expect(at - secondAt).toBeLessThan(1000);
    expect(app.output()).toContain('second signal: exiting now');
  }, 30_000);
});
