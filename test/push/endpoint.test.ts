import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { PushCrypto } from '../../src/push/push-crypto';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { login, TEST_APPID, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, present, type QuotaView, type ReminderView } from '../support/api-types';
import { flip, PushRequests, withQuery, type Push } from './push-requests';
import { officialJson } from './vectors';

// The token of docs/wechat.md#test-vectors, so its GET vector verifies against this instance.
const TOKEN = 'AAAAA';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const T1 = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
const T2 = 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc';
const PATH = '/api/wx/message';
const wechat = new PushRequests({ token: TOKEN, aesKey: AES_KEY, appId: TEST_APPID });

const env = useSandbox();

let sandbox: WeChatSandbox;
let secure: TestInstance; // token + AES key: compatible/secure mode
let plain: TestInstance; // token only: plain mode
let unset: TestInstance; // no WX_TOKEN
// Plain mode, its clock at the time of the GET vector (docs/wechat.md#test-vectors).
let vectorTime: TestInstance;
let session: string;
let plainSession: string;
let openid: string;

beforeAll(async () => {
  ({ sandbox } = env);
  const wx = { token: TOKEN, aesKey: AES_KEY };
  secure = await env.start({ config: { wx }, tuning: { sweepIntervalMs: 200 } });
  plain = await env.start({ config: { wx: { token: TOKEN } }, start: false });
  unset = await env.start({ start: false });
  const vectorMs = Number(officialJson.verify.timestamp) * 1000;
  vectorTime = await env.start({
    config: { wx: { token: TOKEN } },
    now: () => vectorMs,
    start: false,
  });
  session = await login(secure, 'alice#1');
  plainSession = await login(plain, 'alice#2');
  openid = (await secure.redis.hGet(secure.instance.keys.session(session), 'openid')) ?? '';
  expect(openid).toMatch(/^o/);
});

const post = (t: TestInstance, push: Push) =>
  request(t.instance.app.callback())
    .post(PATH)
    .query(push.query)
    .set('Content-Type', push.type)
    .send(push.body);
const acceptJson = (templateId = T1) =>
  wechat.encrypted(wechat.popupJson(openid, [[templateId, 'accept']]), 'json');

async function quota(t = secure, token = session, templateId = T1): Promise<number> {
  const res = await request(t.instance.app.callback())
    .get('/api/subscriptions')
    .set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  return data<QuotaView>(res).quota[templateId] ?? 0;
}

function expectSuccess(res: request.Response): void {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(res.text).toBe('success');
}

describe('GET /api/wx/message', () => {
  const { timestamp, nonce, signature, echostr } = officialJson.verify;
  const get = (t: TestInstance, query: Record<string, string>) =>
    request(t.instance.app.callback()).get(PATH).query(query);

  it("answers WeChat's verification vector with echostr as text, at the vector's time", async () => {
    // Freshness (freshness.test.ts) would refuse the 2024 timestamp against the real clock.
    const res = await get(vectorTime, { signature, timestamp, nonce, echostr });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe(echostr);
  });

  it('answers a wrong signature with 401 and no echo', async () => {
    const res = await get(secure, { signature: flip(signature, 0), timestamp, nonce, echostr });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain(echostr);
  });

  it('answers 400 naming the missing parameters', async () => {
    const res = await get(secure, { timestamp });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'echostr',
      'nonce',
      'signature',
    ]);
  });

  it('answers 503 when WX_TOKEN is unset, for GET and POST', async () => {
    expect((await get(unset, { signature, timestamp, nonce, echostr })).status).toBe(503);
    expect((await post(unset, acceptJson())).status).toBe(503);
  });
});

describe('POST /api/wx/message, subscribe events', () => {
  it('grants one per accepted popup item, secure mode JSON and XML', async () => {
    const before = await quota();
    expectSuccess(await post(secure, acceptJson()));
    expect(await quota()).toBe(before + 1);
    expectSuccess(
      await post(secure, wechat.encrypted(wechat.statusXml('popup', openid, T1, 'accept'), 'xml')),
    );
    expect(await quota()).toBe(before + 2);
  });

  it("counts WeChat's retries of one popup once, and refuses a replayed request outright", async () => {
    const before = await quota();
    const message = wechat.popupJson(openid, [[T1, 'accept']]);
    // Retries: the same event, freshly signed each time.
    for (let i = 0; i < 3; i++) expectSuccess(await post(secure, wechat.encrypted(message, 'json')));
    const replay = wechat.encrypted(message, 'json');
    expect((await post(secure, replay)).status).toBe(200);
    expect((await post(secure, replay)).status).toBe(401); // the very same request: its nonce was used
    expect(await quota()).toBe(before + 1);
  });

  it('grants accepts only, in a popup with several items', async () => {
    const [t1, t2] = [await quota(), await quota(secure, session, T2)];
    const message = wechat.popupJson(openid, [
      [T1, 'reject'],
      [T2, 'accept'],
    ]);
    expectSuccess(await post(secure, wechat.encrypted(message, 'json')));
    expect(await quota()).toBe(t1);
    expect(await quota(secure, session, T2)).toBe(t2 + 1);
  });

  it('sets the ledger of a template to 0 on a change-event reject', async () => {
    await post(secure, acceptJson());
    expect(await quota()).toBeGreaterThan(0);
    expectSuccess(
      await post(secure, wechat.encrypted(wechat.statusXml('change', openid, T1, 'reject'), 'xml')),
    );
    expect(await quota()).toBe(0);
  });

  it('uses only the encrypted fields in compatible mode', async () => {
    const [t1, t2] = [await quota(), await quota(secure, session, T2)];
    const createTime = wechat.createTime();
    const push = wechat.encrypted(wechat.statusXml('popup', openid, T2, 'accept', createTime), 'xml');
    // The plain copy beside Encrypt is covered by no signature: here it claims another template.
    const plainCopy = wechat.statusXml('popup', openid, T1, 'accept', createTime);
    push.body = plainCopy.replace('</xml>', `<Encrypt><![CDATA[${push.encrypt}]]></Encrypt></xml>`);
    expectSuccess(await post(secure, push));
    expect(await quota()).toBe(t1);
    expect(await quota(secure, session, T2)).toBe(t2 + 1);
  });

  it('works in plain mode (XML and JSON) when no AES key is configured', async () => {
    const before = await quota(plain, plainSession);
    expectSuccess(await post(plain, wechat.plain(wechat.statusXml('popup', openid, T1, 'accept'))));
    expectSuccess(
      await post(plain, wechat.plain(wechat.popupJson(openid, [[T1, 'accept']]), 'application/json')),
    );
    expect(await quota(plain, plainSession)).toBe(before + 2);
  });

  it('refuses a plain push while an AES key is configured', async () => {
    const before = await quota();
    const res = await post(
      secure,
      wechat.plain(wechat.popupJson(openid, [[T1, 'accept']]), 'application/json'),
    );
    expect(res.status).toBe(401);
    expect(await quota()).toBe(before);
  });

  it('answers success to unknown events and user messages, changing nothing', async () => {
    const before = await quota();
    const text =
      `<xml><ToUserName>gh_1</ToUserName><FromUserName>${openid}</FromUserName><CreateTime>1</CreateTime>` +
      '<MsgType>text</MsgType><Content>hi</Content><MsgId>1864323726461255680</MsgId></xml>';
    expectSuccess(await post(secure, wechat.encrypted(text, 'xml')));
    const odd = {
      ToUserName: 'gh_1',
      FromUserName: openid,
      CreateTime: 2,
      MsgType: 'event',
      Event: 'user_enter_tempsession',
    };
    expectSuccess(await post(secure, wechat.encrypted(JSON.stringify(odd), 'json')));
    expect(await quota()).toBe(before);
  });
});

describe('POST /api/wx/message, subscribe_msg_sent_event', () => {
  const sentEvent = (msgid: string, createTime: string) =>
    `{"ToUserName":"gh_123456789abc","FromUserName":"${openid}","CreateTime":"${createTime}","MsgType":"event",` +
    `"Event":"subscribe_msg_sent_event","List":{"TemplateId":"${T1}","MsgID":${msgid},"ErrorCode":0,"ErrorStatus":"success"}}`;

  it('marks the delivery that got the MsgID as confirmed', async () => {
    const auth = { Authorization: `Bearer ${session}` };
    const reminder = (id: string) =>
      request(secure.instance.app.callback()).get(`/api/reminders/${id}`).set(auth);
    const created = await request(secure.instance.app.callback())
      .post('/api/reminders')
      .set(auth)
      .send({ title: '喝水', detail: '八杯', at: Date.now() + 1000 });
    expect(created.status).toBe(201);
    const id = data<ReminderView>(created).id;
    const sent = await waitFor(async () => {
      const res = await reminder(id);
      return res.body.data.status === 'sent' ? res.body.data : undefined;
    }, 10_000);
    const msgid = present(sent.lastResult.msgid, 'a msgid');
    expect(sandbox.sent.some((m) => m.msgid === msgid)).toBe(true);
    // As WeChat sends it: MsgID a bare JSON number beyond 2^53, one item as an object under List.
    expectSuccess(await post(secure, wechat.encrypted(sentEvent(msgid, '1620963428'), 'json')));
    const deliveries = (await reminder(id)).body.data.deliveries as { msgid: string | null }[];
    expect(deliveries.find((d) => d.msgid === msgid)).toMatchObject({
      result: 'sent',
      confirmed: { at: '2021-05-14T03:37:08.000Z', errorCode: '0', status: 'success' },
    });
  });

  it('answers success for an unknown MsgID', async () => {
    expectSuccess(await post(secure, wechat.encrypted(sentEvent('42', '3'), 'json')));
  });
});

describe('POST /api/wx/message, rejections (4xx, ledger unchanged)', () => {
  const message = () => wechat.popupJson(openid, [[T1, 'accept']]);
  const otherApp = new PushCrypto({ token: TOKEN, encodingAesKey: AES_KEY, appId: 'wxffffffffffffffff' });
  const tampered = (resign: boolean, at: number) => () => {
    const push = acceptJson();
    return wechat.withEncrypt(push, flip(push.encrypt ?? '', at), resign);
  };
  const cases: [string, () => Push, number][] = [
    ['a forged msg_signature', () => withQuery(acceptJson(), { msg_signature: '0'.repeat(40) }), 401],
    ['a forged plain signature', () => withQuery(acceptJson(), { signature: '0'.repeat(40) }), 401],
    ['a stale timestamp (> 5 min old)', () => wechat.encrypted(message(), 'json', { skew: -301 }), 401],
    ['a timestamp more than 5 min ahead', () => wechat.encrypted(message(), 'json', { skew: 301 }), 401],
    ['another appid', () => wechat.encrypted(message(), 'json', { with: otherApp }), 403],
    ['a tampered ciphertext under its old signature', tampered(false, 0), 401],
    ['a tampered ciphertext, re-signed', tampered(true, 50), 400],
    ['broken base64, re-signed', () => wechat.withEncrypt(acceptJson(), 'not*base64!', true), 400],
    ['no msg_signature', () => withQuery(acceptJson(), { msg_signature: undefined }), 400],
    ['an unsupported content type', () => ({ ...acceptJson(), type: 'text/plain' }), 415],
    [
      'a body over 64 KiB',
      () => ({ ...acceptJson(), body: JSON.stringify({ Pad: 'x'.repeat(65 * 1024) }) }),
      413,
    ],
  ];

  it.each(cases)('refuses %s', async (_name, make, status) => {
    const before = await quota();
    const res = await post(secure, make());
    expect(res.status).toBe(status);
    expect(Math.floor(res.body.errcode / 100)).toBe(status);
    expect(await quota()).toBe(before);
  });

  it('refuses a chunked body (no Content-Length) once it passes 64 KiB', async () => {
    const server = http.createServer(secure.instance.app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const before = await quota();
    const path = `${PATH}?${new URLSearchParams(acceptJson().query)}`;
    const status = await new Promise<number>((resolve, reject) => {
      const headers = { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' };
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject); // ignored once resolved: the server closes after its 413
      for (let i = 0; i < 80; i++) req.write(' '.repeat(1024));
      req.end();
    });
    await new Promise((resolve) => server.close(resolve));
    expect(status).toBe(413);
    expect(await quota()).toBe(before);
  });

  it('never logs the token, the AES key or a ciphertext', () => {
    const logs = secure.logs.text() + plain.logs.text();
    expect(logs).toContain('push rejected');
    for (const secret of [AES_KEY, `"${TOKEN}"`, ...wechat.ciphertexts]) expect(logs).not.toContain(secret);
  });
});
