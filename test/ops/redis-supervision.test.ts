import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';

// `npm start` with nothing configured runs its own redis-server: what happens when that child
// dies (kill -9) under a running tixing.
const ROOT = path.resolve(__dirname, '..', '..');

interface Main {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `src/main.ts` through tsx in `cwd`: embedded Redis, WeChat sandbox. */
async function startMain(cwd: string): Promise<Main> {
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await until(() => /tixing is listening on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1], 15_000);
  return { child, url, output: () => output, exited };
}

function embeddedRedisUrl(cwd: string): string {
  return readFileSync(path.join(cwd, 'var', 'redis', 'url'), 'utf8').trim();
}

/** The pid of the redis-server answering on the embedded URL, once it is not `previous`. */
function redisPid(cwd: string, previous?: number): Promise<number> {
  return until(async () => {
    const client = createClient({ url: embeddedRedisUrl(cwd), socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
      return pid && pid !== previous ? pid : undefined;
    } catch {
      return undefined;
    } finally {
      if (client.isOpen) await client.close().catch(() => client.destroy());
    }
  }, 10_000);
}

async function call(
  url: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; json: { errcode: number; data: Record<string, unknown> } }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      'Content-Type': 'application/json',
      ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, json: (await res.json()) as never };
}

const children: ChildProcess[] = [];
let cwd: string;

beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'tixing-supervision-'));
});

afterEach(async () => {
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

describe('the embedded redis-server under supervision', () => {
  it('is restarted on its port and data after kill -9: health is 200 again and what was stored before is there', async () => {
    const app = await startMain(cwd);
    const login = await call(`${app.url}/api/login`, { method: 'POST', body: { code: 'kill#1' } });
    expect(login).toMatchObject({ status: 200, json: { errcode: 0 } });
    const token = login.json.data.token as string;
    const created = await call(`${app.url}/api/reminders`, {
      method: 'POST',
      body: { title: 'before the kill', at: Date.now() + 3600_000 },
      token,
    });
    expect(created.status).toBe(201);
    const id = created.json.data.id as string;
    const urlBefore = embeddedRedisUrl(cwd);
    const pid = await redisPid(cwd);

    process.kill(pid, 'SIGKILL');
    const restartedPid = await redisPid(cwd, pid);
    expect(restartedPid).not.toBe(pid);
    expect(embeddedRedisUrl(cwd)).toBe(urlBefore); // the same port: clients reconnect by themselves
    const health = await until(async () => {
      const res = await call(`${app.url}/api/health`);
      return res.status === 200 ? res : undefined;
    }, 10_000);
    expect(health.json.data).toMatchObject({ redis: 'up', status: 'ok' });

    // The session and the reminder were in the AOF.
    const read = await call(`${app.url}/api/reminders/${id}`, { token });
    expect(read.status).toBe(200);
    expect(read.json.data.title).toBe('before the kill');
    expect(app.output()).toContain('embedded redis-server restarted');
    expect(app.child.exitCode).toBeNull();
  }, 40_000);

  it('makes tixing exit with status 1, saying why, when the redis-server keeps dying', async () => {
    const app = await startMain(cwd);
    let exitCode: number | null | undefined;
    void app.exited.then((code) => (exitCode = code));
    let kills = 0;
    let pid: number | undefined;
    while (exitCode === undefined && kills < 10) {
      try {
        pid = await redisPid(cwd, pid);
      } catch {
        break; // no new server came: tixing is giving up
      }
      process.kill(pid, 'SIGKILL');
      kills += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await app.exited).toBe(1);
    // Five restarts within the minute, then the sixth death ends it.
    expect(kills).toBe(6);
    expect(app.output()).toContain('embedded redis-server keeps dying (5 restarts within 60 s)');
  }, 60_000);
});
