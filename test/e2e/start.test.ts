import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** `npm start` with nothing configured, run as a person would (here through tsx, from a fresh folder). */
describe('starting with nothing configured', () => {
  let child: ChildProcess;
  let cwd: string;
  let output = '';

  beforeAll(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'tixing-start-'));
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  });

  it('serves health and login within 15 s on an embedded Redis and the sandbox, and stops cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info' };
    for (const name of ['REDIS_URL', 'WX_APPID', 'WX_APPSECRET', 'WX_TOKEN', 'WX_AES_KEY', 'ADMIN_TOKEN'])
      delete env[name];
    child = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/main.ts')],
      {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));

    const started = Date.now();
    let url: string | undefined;
    while (!url && Date.now() - started < 15_000) {
      url = /tixing is listening on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(url).toBeDefined();
    expect(output).toContain('SANDBOX MODE');

    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    const login = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: 'anything' }),
    });
    const { data } = (await login.json()) as { data: { token: string } };
    const list = await fetch(`${url}/api/reminders`, { headers: { Authorization: `Bearer ${data.token}` } });
    expect(list.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(15_000);

    // The embedded Redis keeps its data (AOF) under var/redis of the working folder.
    const urlFile = path.join(cwd, 'var', 'redis', 'url');
    expect(existsSync(urlFile)).toBe(true);
    const redisPort = Number(new URL(readFileSync(urlFile, 'utf8')).port);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(urlFile)).toBe(false);
    // Nothing listens on the embedded Redis's port any more.
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(redisPort, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(existsSync(path.join(cwd, 'var', 'redis', 'appendonlydir'))).toBe(true);
  }, 30_000);
});
