import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createClient } from 'redis';
import { data, type ReminderView } from '../support/api-types';
import { login, sleep, useMainProcess, waitFor } from '../support/harness';

// `npm start` with nothing configured runs its own redis-server: what happens when that child
// dies (kill -9) under a running tixing.
const main = useMainProcess('supervision');

function embeddedRedisUrl(cwd: string): string {
  return readFileSync(path.join(cwd, 'var', 'redis', 'url'), 'utf8').trim();
}

/** The pid of the redis-server answering on the embedded URL, once it is not `previous`. */
function redisPid(cwd: string, previous?: number): Promise<number> {
  return waitFor(
    async () => {
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
    },
    { timeoutMs: 10_000, everyMs: 50 },
  );
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

describe('the embedded redis-server under supervision', () => {
  it('is restarted on its port and data after kill -9: health is 200 again and what was stored before is there', async () => {
    const { cwd } = main;
    const app = await main.start();
    const token = await login(app.url, 'kill#1');
    const created = await call(`${app.url}/api/reminders`, {
      method: 'POST',
      body: { title: 'before the kill', at: Date.now() + 3600_000 },
      token,
    });
    expect(created.status).toBe(201);
    const id = data<ReminderView>({ body: created.json }).id;
    const urlBefore = embeddedRedisUrl(cwd);
    const pid = await redisPid(cwd);

    process.kill(pid, 'SIGKILL');
    const restartedPid = await redisPid(cwd, pid);
    expect(restartedPid).not.toBe(pid);
    expect(embeddedRedisUrl(cwd)).toBe(urlBefore); // the same port: clients reconnect by themselves
    const health = await waitFor(async () => {
      const res = await call(`${app.url}/api/health`);
      return res.status === 200 ? res : undefined;
    }, 10_000);
    expect(health.json.data).toMatchObject({ redis: 'up', status: 'ok' });

    // The session and the reminder were in the AOF.
    const read = await call(`${app.url}/api/reminders/${id}`, { token });
    expect(read.status).toBe(200);
    expect(read.json.data.title).toBe('before the kill');
    expect(app.output()).toContain('embedded redis-server restarted');
    expect(app.alive).toBe(true);
  }, 40_000);

  it('makes tixing exit with status 1, saying why, when the redis-server keeps dying', async () => {
    const { cwd } = main;
    const app = await main.start();
    let exitCode: number | null | undefined;
    void app.exit.then((exit) => (exitCode = exit.code));
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
      await sleep(50);
    }
    expect((await app.exit).code).toBe(1);
    // Five restarts within the minute, then the sixth death ends it.
    expect(kills).toBe(6);
    expect(app.output()).toContain('embedded redis-server keeps dying (5 restarts within 60 s)');
  }, 60_000);
});
