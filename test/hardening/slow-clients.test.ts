import net from 'node:net';
import { DEFAULT_HTTP_TIMEOUTS, createHttpServer } from '../../src/http/server';
import { useSandbox, type TestInstance } from '../support/harness';
import { send } from './raw-http';

const env = useSandbox();
let t: TestInstance;
let port: number;

// Short bounds so that the test takes a second, not the production values' half minute.
const http = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300, checkIntervalMs: 50 };

beforeAll(async () => {
  t = await env.start({ start: false, tuning: { http } });
  port = (await t.instance.listen(0, '127.0.0.1')).port;
});

/** Opens a connection, writes `first`, then one byte of `drip` every `everyMs`; resolves when the server closes it. */
function trickle(first: string, drip: string, everyMs: number): Promise<{ ms: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    let i = 0;
    socket.on('connect', () => {
      socket.write(first);
      timer = setInterval(() => socket.write(drip[i++ % drip.length] ?? 'x'), everyMs);
    });
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => undefined); // a reset is one way of being cut off
    const guard = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error('the server kept a trickling client for 5 s'));
    }, 5000);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(guard);
      resolve({ ms: Date.now() - started, answer });
    });
  });
}

describe('slow clients are cut off (header and request timeouts)', () => {
  it('closes a connection whose headers never end', async () => {
    const { ms, answer } = await trickle('POST /api/login HTTP/1.1\r\nHost: x\r\n', 'X-Slow: a\r\n', 100);
    expect(ms).toBeLessThan(2000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('{"errcode":40801,');
  });

  it('closes a connection whose body trickles in slower than the request timeout', async () => {
    const head =
      'POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const { ms } = await trickle(head, '{"code":"slow"', 100);
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(2500);
  });

  it('serves a client that is slow but within the bounds (positive control)', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const body = '{"code":"patient#1"}';
    socket.write(
      `POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.write(body);
    const answer = await new Promise<string>((resolve) => socket.once('data', (c) => resolve(c.toString())));
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect((await send(port, { method: 'GET', path: '/api/health' })).status).toBe(200);
  });

  it('uses bounds that fit a mobile client by default, far below Node’s 300 s', () => {
    const server = createHttpServer({ callback: () => () => undefined });
    expect(server.headersTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs);
    expect(server.requestTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs);
    expect(server.requestTimeout).toBeLessThanOrEqual(60_000);
    expect(server.headersTimeout).toBeLessThanOrEqual(server.requestTimeout);
    expect(server.keepAliveTimeout).toBe(DEFAULT_HTTP_TIMEOUTS.keepAliveTimeoutMs);
    server.close();
  });
});
