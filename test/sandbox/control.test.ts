import { Agent, request } from 'node:http';
import { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import {
  APPID,
  code2Session,
  get,
  message,
  post,
  SECRET,
  send,
  stableToken,
  startSandbox,
  type Harness,
} from './sandbox-helpers';

let h: Harness;
let token: string;
beforeEach(async () => {
  h = await startSandbox();
  token = (await stableToken(h)).json.access_token;
});
afterEach(async () => {
  await h.sandbox.stop();
});

describe('POST /__sandbox/faults', () => {
  it('sets the fault switches of the running sandbox', async () => {
    const res = await post(`${h.url}/__sandbox/faults`, {
      latencyMs: 5,
      next: [{ errcode: -1 }, { http: 503 }, { hang: true }],
      loginNext: [{ errcode: 45011 }],
      failRate: 0,
      quotaExceeded: false,
      secCheckBusy: false,
      secCheckNext: [],
      noQuotaFor: ['oAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    });
    expect(res.status).toBe(200);
    expect(h.sandbox.faults).toEqual({
      latencyMs: 5,
      next: [{ errcode: -1 }, { http: 503 }, { hang: true }],
      loginNext: [{ errcode: 45011 }],
      failRate: 0,
      quotaExceeded: false,
      secCheckBusy: false,
      secCheckNext: [],
      noQuotaFor: ['oAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    });
    expect((await send(h, token)).json.errcode).toBe(-1);
    expect((await send(h, token)).status).toBe(503);
    expect((await code2Session(h, 'erin')).json.errcode).toBe(45011);
  });

  it('changes only the given fields; clear restores the defaults', async () => {
    await post(`${h.url}/__sandbox/faults`, { quotaExceeded: true });
    await post(`${h.url}/__sandbox/faults`, { failRate: 0 });
    expect((await send(h, token)).json.errcode).toBe(45009);
    await post(`${h.url}/__sandbox/faults`, { clear: true });
    expect(h.sandbox.faults.quotaExceeded).toBe(false);
    expect((await send(h, token)).json.errcode).toBe(0);
  });

  it('revokes every token with revokeTokens: true', async () => {
    expect((await post(`${h.url}/__sandbox/faults`, { revokeTokens: true })).status).toBe(200);
    expect((await send(h, token)).json.errcode).toBe(40001);
  });

  it('answers 400 listing every bad field, changing nothing', async () => {
    const res = await post(`${h.url}/__sandbox/faults`, {
      latencyMs: -1,
      failRate: 2,
      next: [{ nope: 1 }],
      quotaExceeded: 'yes',
      bogus: 1,
    });
    expect(res.status).toBe(400);
    expect(res.json.problems).toHaveLength(5);
    expect(h.sandbox.faults.latencyMs).toBe(0);
    expect((await post(`${h.url}/__sandbox/faults`, '{nope')).status).toBe(400);
  });
});

describe('GET /__sandbox/state and /__sandbox/sent, POST /__sandbox/reset', () => {
  it('reports counters and sent messages, with msgids as strings', async () => {
    await send(h, token);
    await send(h, token, message(h, { touser: h.sandbox.openIdFor('bob') }));
    await code2Session(h, 'frank');
    const state = await get(`${h.url}/__sandbox/state`);
    expect(state.json).toMatchObject({
      stats: { tokenFetches: 0, stableTokenFetches: 1, sendCalls: 2, code2SessionCalls: 1 },
      sent: 2,
      activeTokens: 1,
      faults: { latencyMs: 0, next: [] },
    });
    expect(state.text).not.toContain(token);

    const sent = await get(`${h.url}/__sandbox/sent`);
    expect(sent.json.sent).toHaveLength(2);
    expect(sent.json.sent[0].msgid).toBe(h.sandbox.sent[0]?.msgid);
    expect(typeof sent.json.sent[0].msgid).toBe('string');
    const bobs = await get(`${h.url}/__sandbox/sent?touser=${h.sandbox.openIdFor('bob')}`);
    expect(bobs.json.sent).toHaveLength(1);
  });

  it('resets records, counters, faults and used codes but keeps tokens valid', async () => {
    await send(h, token);
    await code2Session(h, 'gina#1');
    h.sandbox.faults.latencyMs = 10;
    expect((await post(`${h.url}/__sandbox/reset`, {})).status).toBe(200);
    expect(h.sandbox.sent).toHaveLength(0);
    expect(h.sandbox.stats).toEqual({
      tokenFetches: 0,
      stableTokenFetches: 0,
      sendCalls: 0,
      code2SessionCalls: 0,
    });
    expect(h.sandbox.faults.latencyMs).toBe(0);
    expect((await code2Session(h, 'gina#1')).json.openid).toBe(h.sandbox.openIdFor('gina'));
    expect((await send(h, token)).json.errcode).toBe(0);
  });

  it('does not delay control answers by latencyMs', async () => {
    h.sandbox.faults.latencyMs = 2000;
    const started = Date.now();
    expect((await get(`${h.url}/__sandbox/state`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000); // the latency, had it applied
  });

  it('answers 404 for unknown paths', async () => {
    expect((await get(`${h.url}/__sandbox/nothing`)).status).toBe(404);
    const api = await get(`${h.url}/cgi-bin/nothing`);
    expect(api.status).toBe(404);
    expect(api.json.errcode).toBe(40066);
  });
});

describe('WeChatSandbox lifecycle', () => {
  it('resolves its base URL on 127.0.0.1 and refuses a second start', async () => {
    expect(h.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(h.sandbox.url).toBe(h.url);
    await expect(h.sandbox.start()).rejects.toThrow(/already started/);
  });

  it('stops promptly with an idle keep-alive connection open', async () => {
    const sandbox = new WeChatSandbox({ appId: APPID, appSecret: SECRET });
    const url = new URL(await sandbox.start());
    const agent = new Agent({ keepAlive: true });
    try {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = request(
          { agent, host: url.hostname, port: url.port, path: '/__sandbox/state' },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
      // Let the socket go back to the agent's idle pool.
      await new Promise((resolve) => setImmediate(resolve));
      expect(Object.keys(agent.freeSockets)).toHaveLength(1);
      const started = Date.now();
      await sandbox.stop();
      expect(Date.now() - started).toBeLessThan(10_000); // not the 30 s keep-alive of the idle socket
      expect(sandbox.url).toBeNull();
    } finally {
      agent.destroy();
      await sandbox.stop();
    }
  });

  it('can be stopped twice', async () => {
    await h.sandbox.stop();
    await expect(h.sandbox.stop()).resolves.toBeUndefined();
  });
});
