import net from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { login, sleep, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { pushQuery, send } from './raw-http';

const PUSH_TOKEN = 'encodingPushToken1';
const env = useSandbox();
let t: TestInstance;
let port: number;
let token: string;

beforeAll(async () => {
  t = await env.start({ config: { wx: { token: PUSH_TOKEN } }, start: false });
  port = (await t.instance.listen(0, '127.0.0.1')).port;
  token = await login(t, 'enc#1');
});

let logins = 0;
/** The three kinds of body a route reads: login, an authenticated JSON create, the push URL's own reader. */
const routes = {
  login: () => ({
    path: '/api/login',
    type: 'application/json',
    auth: {},
    body: `{"code":"enc#${++logins}"}`,
  }),
  reminders: () => ({
    path: '/api/reminders',
    type: 'application/json',
    auth: { Authorization: `Bearer ${token}` },
    body: JSON.stringify({ title: 'enc', at: Date.now() + 3_600_000 }),
  }),
  push: () => ({
    path: `/api/wx/message?${pushQuery(PUSH_TOKEN)}`,
    type: 'application/json',
    auth: {},
    body: JSON.stringify({
      ToUserName: 'gh_1',
      FromUserName: 'o1',
      CreateTime: '1',
      MsgType: 'event',
      Event: 'x',
    }),
  }),
};
type RouteName = keyof typeof routes;

function post(route: RouteName, encoding: string | undefined, encode: (body: string) => Buffer, extra = {}) {
  const r = routes[route]();
  const headers: Record<string, string> = { 'Content-Type': r.type, ...r.auth, ...extra };
  if (encoding !== undefined) headers['Content-Encoding'] = encoding;
  return send(port, { method: 'POST', path: r.path, headers, body: encode(r.body) });
}

const garbage = () => Buffer.from('this is not compressed at all, just text');
const bad: [string, string, (body: string) => Buffer, number, number][] = [
  ['gzip with a garbage body', 'gzip', garbage, 400, 40002],
  ['deflate with a garbage body', 'deflate', garbage, 400, 40002],
  ['br with a garbage body', 'br', garbage, 400, 40002],
  ['a truncated gzip body', 'gzip', (b) => gzipSync(b).subarray(0, 15), 400, 40002],
  ['an unknown coding', 'compress', (b) => Buffer.from(b), 415, 41502],
  ['gzip twice (gzip, gzip)', 'gzip, gzip', (b) => gzipSync(gzipSync(b)), 415, 41502],
  ['a coding list with an unknown member', 'gzip, x-made-up', (b) => gzipSync(b), 415, 41502],
  ['a gzip bomb (1 MiB of zeros)', 'gzip', () => gzipSync(Buffer.alloc(1024 * 1024)), 413, 41301],
];

// docs/architecture.md#input-rules
describe('Content-Encoding on every route that reads a body', () => {
  for (const route of Object.keys(routes) as RouteName[]) {
    it.each(bad)(
      `${route}: answers %s with a 4xx in the envelope, never a 500`,
      async (_n, coding, encode, status, errcode) => {
        const res = await post(route, coding, encode);
        expect({ status: res.status, errcode: res.json?.errcode }).toEqual({ status, errcode });
        expect(res.text).not.toMatch(/at .*\.(js|ts):\d+/);
      },
    );

    it(`${route}: decodes gzip, deflate and br bodies that are what they say`, async () => {
      for (const [coding, encode] of [
        ['gzip', gzipSync],
        ['GZIP', gzipSync],
        ['deflate', deflateSync],
        ['br', brotliCompressSync],
        ['identity', (b: string) => Buffer.from(b)],
      ] as const) {
        const res = await post(route, coding, (b) => encode(b));
        expect({ coding, status: res.status }).toEqual({ coding, status: route === 'reminders' ? 201 : 200 });
      }
    });
  }

  it('refuses a charset other than UTF-8 with 415, and bytes that are not UTF-8 with 400', async () => {
    const latin = await post('login', undefined, (b) => Buffer.from(b), {
      'Content-Type': 'application/json; charset=latin1',
    });
    expect({ status: latin.status, errcode: latin.json?.errcode }).toEqual({ status: 415, errcode: 41502 });
    const notUtf8 = await post('login', undefined, () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect({ status: notUtf8.status, errcode: notUtf8.json?.errcode }).toEqual({
      status: 400,
      errcode: 40002,
    });
  });

  it('answers a body cut off mid-way with a 4xx and logs no error', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const gz = gzipSync('{"code":"cut#1"}');
    socket.write(
      `POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n` +
        `Content-Length: ${gz.length + 100}\r\n\r\n`,
    );
    socket.write(gz.subarray(0, 10));
    await sleep(50);
    socket.destroy();
    const line = await waitFor(() =>
      t.logs.lines.find(
        (l) => l.includes('"path":"/api/login"') && /"status":4\d\d/.test(l) && l.includes('"msg":"request"'),
      ),
    );
    expect(line).toMatch(/"status":400/);
    expect(t.logs.text()).not.toContain('unhandled error');
  });
});
