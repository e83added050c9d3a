import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { login, useMainProcess } from '../support/harness';

/** `npm start` with nothing configured, run as a person would (here from source, from a fresh folder). */
describe('starting with nothing configured', () => {
  const main = useMainProcess('start');

  it('serves health and login on an embedded Redis and the sandbox, and stops cleanly on SIGTERM', async () => {
    const app = await main.start();
    expect(app.output()).toContain('SANDBOX MODE');
    const { url } = app;

    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    const token = await login(url, 'anything');
    const list = await fetch(`${url}/api/reminders`, { headers: { Authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);

    // The embedded Redis keeps its data (AOF) under var/redis of the working folder.
    const urlFile = path.join(main.cwd, 'var', 'redis', 'url');
    expect(existsSync(urlFile)).toBe(true);
    const redisPort = Number(new URL(readFileSync(urlFile, 'utf8')).port);

    app.signal('SIGTERM');
    expect((await app.exit).code).toBe(0);
    expect(existsSync(urlFile)).toBe(false);
    // Nothing listens on the embedded Redis's port any more.
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(redisPort, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false)));
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(existsSync(path.join(main.cwd, 'var', 'redis', 'appendonlydir'))).toBe(true);
  }, 30_000);
});
