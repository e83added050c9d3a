import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WeChatApiError, WeChatTransportError } from '../../src/wechat/errors';
import { WeChatClient, type SubscribeMessage } from '../../src/wechat/wechat-client';
import { APPID, SECRET, startSandbox, TEMPLATE_ID, type Harness } from '../sandbox/sandbox-helpers';

// The HTTP boundary to WeChat (src/wechat/wechat-client.ts): what it sends, what it keeps of the
// answer, how it holds its connections, and which errors it turns every failure into.
let h: Harness;

beforeEach(async () => {
  h = await startSandbox();
});
afterEach(async () => {
  await h.sandbox.stop();
});

function client(apiBase: string, options: { timeoutMs?: number; maxSockets?: number } = {}): WeChatClient {
  return new WeChatClient({ apiBase, appId: APPID, appSecret: SECRET, ...options });
}

function message(): SubscribeMessage {
  return {
    touser: h.sandbox.openIdFor('client'),
    template_id: TEMPLATE_ID,
    page: 'pages/index/index',
    data: { thing1: { value: '喝水' }, time2: { value: '2026-01-01 08:30' }, thing3: { value: 'x' } },
    miniprogram_state: 'formal',
    lang: 'zh_CN',
  };
}

/** A bare HTTP server for what the sandbox cannot do (count connections, answer HTML); closed after. */
async function rawServer(
  handler: http.RequestListener,
): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  let connections = 0;
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The error a call rejects with, checked to hold neither the secret nor the token. */
async function failure(call: Promise<unknown>, token = ''): Promise<WeChatTransportError | WeChatApiError> {
  const err = await call.then(
    () => {
      throw new Error('the call should have failed');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof WeChatTransportError || err instanceof WeChatApiError)) throw err;
  const shown = `${err.message} ${String(err.cause)} ${JSON.stringify(err)} ${err.stack ?? ''}`;
  expect(shown).not.toContain(SECRET);
  if (token) expect(shown).not.toContain(token);
  return err;
}

describe('WeChatClient', () => {
  it('sends a subscribe message and keeps its msgid to the last digit', async () => {
    const wechat = client(h.url);
    const { accessToken } = await wechat.stableToken();

    const { msgid } = await wechat.sendSubscribeMessage(accessToken, message());

    const [sent] = h.sandbox.sent;
    expect(sent).toMatchObject({ touser: message().touser, page: 'pages/index/index', data: message().data });
    expect(msgid).toBe(sent?.msgid);
    expect(BigInt(msgid ?? '0') > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('signs in a code with jscode2session', async () => {
    expect(await client(h.url).code2Session('client#1')).toMatchObject({
      openid: h.sandbox.openIdFor('client'),
      sessionKey: expect.any(String),
    });
  });

  it('turns a WeChat errcode into WeChatApiError, without the token', async () => {
    const token = 'not-a-token-issued-by-wechat-0123456789';
    const err = await failure(client(h.url).sendSubscribeMessage(token, message()), token);
    expect(err).toBeInstanceOf(WeChatApiError);
    expect(err).toMatchObject({ errcode: 40001, kind: 'token', api: 'subscribe/send' });
  });

  it('reuses its keep-alive connections and opens no more than maxSockets', async () => {
    const server = await rawServer((_req, res) => {
      setTimeout(() => res.end('{"errcode":0,"errmsg":"ok","msgid":1}'), 20);
    });
    try {
      const wechat = client(server.url, { maxSockets: 4 });
      const send = () => wechat.sendSubscribeMessage('token', message());
      await Promise.all(Array.from({ length: 20 }, send)); // 20 at once: 4 connections
      for (let i = 0; i < 10; i++) await send(); // one after another: the same ones again
      expect(server.connections()).toBe(4);
    } finally {
      await server.close();
    }
  });

  it('fails a call WeChat does not answer after timeoutMs, as a timeout (-2)', async () => {
    h.sandbox.faults.next = [{ hang: true }];
    const wechat = client(h.url, { timeoutMs: 300 });
    const { accessToken } = await wechat.stableToken();
    const started = Date.now();

    const err = await failure(wechat.sendSubscribeMessage(accessToken, message()), accessToken);

    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(WeChatTransportError);
    expect(err).toMatchObject({ errcode: -2, message: 'WeChat subscribe/send timed out' });
    // Positive control: the next call on the same client is answered.
    expect((await wechat.sendSubscribeMessage(accessToken, message())).msgid).toBeDefined();
  });

  it('fails an HTTP error status (-3), an answer that is not JSON and an unreachable host (-4)', async () => {
    h.sandbox.faults.next = [{ http: 502 }];
    const wechat = client(h.url);
    const { accessToken } = await wechat.stableToken();
    const bad = await failure(wechat.sendSubscribeMessage(accessToken, message()), accessToken);
    expect(bad).toMatchObject({
      errcode: -3,
      httpStatus: 502,
      message: 'WeChat subscribe/send answered HTTP 502',
    });

    const html = await rawServer((_req, res) => res.end('<html>gateway</html>'));
    try {
      const err = await failure(client(html.url).stableToken());
      expect(err).toMatchObject({
        errcode: -4,
        message: 'WeChat stable_token answered something that is not JSON',
      });
    } finally {
      await html.close();
    }

    const gone = await rawServer(() => undefined);
    await gone.close(); // nothing listens on its port any more
    const err = await failure(client(gone.url).code2Session('code-0123'));
    expect(err).toMatchObject({ errcode: -4, message: 'WeChat jscode2session unreachable (ECONNREFUSED)' });
  });
});
