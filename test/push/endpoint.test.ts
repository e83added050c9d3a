import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { PushCrypto } from '../../src/push/push-crypto';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import {
  loginAs,
  startInstance,
  startSandbox,
  TEST_APPID,
  waitFor,
  type TestInstance,
} from '../support/harness';
import { officialJson } from './vectors';

const TOKEN = 'AAAAA'; // WECHAT.md §5's token, so its GET vector verifies against this instance
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const T1 = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
const T2 = 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc';
const PATH = '/api/wx/message';

const crypto = new PushCrypto({ token: TOKEN, encodingAesKey: AES_KEY, appId: TEST_APPID });
const plainCrypto = new PushCrypto({ token: TOKEN, appId: TEST_APPID });

let sandbox: WeChatSandbox;
let secure: TestInstance; // token + AES key: compatible/secure mode
let plain: TestInstance; // token only: plain mode
let unset: TestInstance; // no WX_TOKEN
let session: string;
let plainSession: string;
let openid: string;
const sentCiphertexts: string[] = [];

beforeAll(async () => {
  const started = await startSandbox();
  sandbox = started.sandbox;
  const wx = { token: TOKEN, aesKey: AES_KEY };
  secure = await startInstance({ wxBase: started.url, config: { wx }, tuning: { sweepIntervalMs: 200 } });
  plain = await startInstance({ wxBase: started.url, config: { wx: { token: TOKEN } }, start: false });
  unset = await startInstance({ wxBase: started.url, start: false });
  session = await loginAs(secure, 'alice#1');
  plainSession = await loginAs(plain, 'alice#2');
  openid = (await secure.redis.hGet(secure.instance.keys.session(session), 'openid')) ?? '';
  expect(openid).toMatch(/^o/);
});

afterAll(async () => {
  await Promise.all([secure.close(), plain.close(), unset.close()]);
  await sandbox.stop();
});

let seq = 0;
const nextCreateTime = () => String(1_700_000_000 + ++seq);
const freshQuery = (skewSeconds = 0) => ({
  timestamp: String(Math.floor(Date.now() / 1000) + skewSeconds),
  nonce: `${Date.now()}${++seq}`,
});

type Push = { query: Record<string, string>; body: string; type: string; encrypt?: string };

function popupJson(createTime: string, items: [string, string][], from = openid): string {
  const list = items.map(([id, status]) => ({
    TemplateId: id,
    SubscribeStatusString: status,
    PopupScene: '0',
  }));
  return JSON.stringify({
    ToUserName: 'gh_123456789abc',
    FromUserName: from,
    CreateTime: Number(createTime),
    MsgType: 'event',
    Event: 'subscribe_msg_popup_event',
    List: list.length === 1 ? list[0] : list,
  });
}

function eventXml(event: string, wrapper: string, createTime: string, item: string): string {
  return (
    `<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>` +
    `<${wrapper}><List>${item}</List></${wrapper}></xml>`
  );
}

const statusItem = (id: string, status: string) =>
  `<TemplateId><![CDATA[${id}]]></TemplateId><SubscribeStatusString><![CDATA[${status}]]></SubscribeStatusString>`;

/** A secure-mode push of `message`, encrypted (by `with`, default ours) and signed as WeChat does. */
function encrypted(
  message: string,
  format: 'json' | 'xml',
  options: { skew?: number; with?: PushCrypto } = {},
): Push {
  const c = options.with ?? crypto;
  const { timestamp, nonce } = freshQuery(options.skew);
  const Encrypt = c.encrypt(message);
  sentCiphertexts.push(Encrypt);
  const query = {
    signature: crypto.signature(timestamp, nonce),
    timestamp,
    nonce,
    encrypt_type: 'aes',
    msg_signature: crypto.msgSignature(timestamp, nonce, Encrypt),
  };
  const body =
    format === 'json'
      ? JSON.stringify({ ToUserName: 'gh_123456789abc', Encrypt })
      : `<xml><ToUserName><![CDATA[gh_123456789abc]]></ToUserName><Encrypt><![CDATA[${Encrypt}]]></Encrypt></xml>`;
  return { query, body, type: format === 'json' ? 'application/json' : 'text/xml', encrypt: Encrypt };
}

/** The push with its Encrypt replaced; re-signed, so that only decryption can catch the change. */
function withEncrypt(push: Push, encrypt: string, resign: boolean): Push {
  const { timestamp = '', nonce = '' } = push.query;
  const query = resign
    ? { ...push.query, msg_signature: crypto.msgSignature(timestamp, nonce, encrypt) }
    : push.query;
  return { ...push, query, body: JSON.stringify({ ToUserName: 'gh_123456789abc', Encrypt: encrypt }) };
}

const withQuery = (push: Push, change: Record<string, string | undefined>): Push => ({
  ...push,
  query: Object.fromEntries(
    Object.entries({ ...push.query, ...change }).filter((e): e is [string, string] => e[1] !== undefined),
  ),
});

function plainPush(message: string, type = 'text/xml'): Push {
  const { timestamp, nonce } = freshQuery();
  return {
    query: { signature: plainCrypto.signature(timestamp, nonce), timestamp, nonce },
    body: message,
    type,
  };
}

const post = (t: TestInstance, push: Push) =>
  request(t.instance.app.callback())
    .post(PATH)
    .query(push.query)
    .set('Content-Type', push.type)
    .send(push.body);

async function quota(t = secure, token = session, templateId = T1): Promise<number> {
  const res = await request(t.instance.app.callback())
    .get('/api/subscriptions')
    .set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  return (res.body.data.quota as Record<string, number>)[templateId] ?? 0;
}

async function expectSuccess(res: request.Response): Promise<void> {
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(res.text).toBe('success');
}

describe('GET /api/wx/message', () => {
  const { timestamp, nonce, signature, echostr } = officialJson.verify;

  it("answers WeChat's verification vector with echostr as text", async () => {
    const res = await request(secure.instance.app.callback())
      .get(PATH)
      .query({ signature, timestamp, nonce, echostr });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe(echostr);
  });

  it('answers a wrong signature with 401 and no echo', async () => {
    const bad = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const res = await request(secure.instance.app.callback())
      .get(PATH)
      .query({ signature: bad, timestamp, nonce, echostr });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain(echostr);
  });

  it('answers 400 naming the missing parameters', async () => {
    const res = await request(secure.instance.app.callback()).get(PATH).query({ timestamp });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual([
      'echostr',
      'nonce',
      'signature',
    ]);
  });

  it('answers 503 when WX_TOKEN is unset, for GET and POST', async () => {
    const get = await request(unset.instance.app.callback())
      .get(PATH)
      .query({ signature, timestamp, nonce, echostr });
    expect(get.status).toBe(503);
    const res = await post(unset, encrypted(popupJson(nextCreateTime(), [[T1, 'accept']]), 'json'));
    expect(res.status).toBe(503);
  });
});

describe('POST /api/wx/message, subscribe events', () => {
  it('grants one per accepted popup item, secure mode JSON and XML', async () => {
    const before = await quota();
    await expectSuccess(await post(secure, encrypted(popupJson(nextCreateTime(), [[T1, 'accept']]), 'json')));
    expect(await quota()).toBe(before + 1);
    const xml = eventXml(
      'subscribe_msg_popup_event',
      'SubscribeMsgPopupEvent',
      nextCreateTime(),
      statusItem(T1, 'accept'),
    );
    await expectSuccess(await post(secure, encrypted(xml, 'xml')));
    expect(await quota()).toBe(before + 2);
  });

  it("counts WeChat's retries of one popup once, and refuses a replayed request outright", async () => {
    const before = await quota();
    const message = popupJson(nextCreateTime(), [[T1, 'accept']]);
    for (let i = 0; i < 3; i++) await expectSuccess(await post(secure, encrypted(message, 'json')));
    const replay = encrypted(message, 'json');
    expect((await post(secure, replay)).status).toBe(200);
    expect((await post(secure, replay)).status).toBe(401);
    expect(await quota()).toBe(before + 1);
  });

  it('grants accepts only, in a popup with several items', async () => {
    const [t1, t2] = [await quota(), await quota(secure, session, T2)];
    await expectSuccess(
      await post(
        secure,
        encrypted(
          popupJson(nextCreateTime(), [
            [T1, 'reject'],
            [T2, 'accept'],
          ]),
          'json',
        ),
      ),
    );
    expect(await quota()).toBe(t1);
    expect(await quota(secure, session, T2)).toBe(t2 + 1);
  });

  it('sets the ledger of a template to 0 on a change-event reject', async () => {
    await post(secure, encrypted(popupJson(nextCreateTime(), [[T1, 'accept']]), 'json'));
    expect(await quota()).toBeGreaterThan(0);
    const xml = eventXml(
      'subscribe_msg_change_event',
      'SubscribeMsgChangeEvent',
      nextCreateTime(),
      statusItem(T1, 'reject'),
    );
    await expectSuccess(await post(secure, encrypted(xml, 'xml')));
    expect(await quota()).toBe(0);
  });

  it('uses only the encrypted fields in compatible mode', async () => {
    const [t1, t2] = [await quota(), await quota(secure, session, T2)];
    const ct = nextCreateTime();
    const inner = eventXml(
      'subscribe_msg_popup_event',
      'SubscribeMsgPopupEvent',
      ct,
      statusItem(T2, 'accept'),
    );
    const push = encrypted(inner, 'xml');
    // The plain copy beside Encrypt is covered by no signature: here it claims another template.
    const plainCopy = eventXml(
      'subscribe_msg_popup_event',
      'SubscribeMsgPopupEvent',
      ct,
      statusItem(T1, 'accept'),
    );
    push.body = plainCopy.replace('</xml>', `<Encrypt><![CDATA[${push.encrypt}]]></Encrypt></xml>`);
    await expectSuccess(await post(secure, push));
    expect(await quota()).toBe(t1);
    expect(await quota(secure, session, T2)).toBe(t2 + 1);
  });

  it('works in plain mode (XML and JSON) when no AES key is configured', async () => {
    const before = await quota(plain, plainSession);
    const xml = eventXml(
      'subscribe_msg_popup_event',
      'SubscribeMsgPopupEvent',
      nextCreateTime(),
      statusItem(T1, 'accept'),
    );
    await expectSuccess(await post(plain, plainPush(xml)));
    await expectSuccess(
      await post(plain, plainPush(popupJson(nextCreateTime(), [[T1, 'accept']]), 'application/json')),
    );
    expect(await quota(plain, plainSession)).toBe(before + 2);
  });

  it('refuses a plain push while an AES key is configured', async () => {
    const before = await quota();
    const res = await post(
      secure,
      plainPush(popupJson(nextCreateTime(), [[T1, 'accept']]), 'application/json'),
    );
    expect(res.status).toBe(401);
    expect(await quota()).toBe(before);
  });

  it('answers success to unknown events and user messages, changing nothing', async () => {
    const before = await quota();
    const text = `<xml><ToUserName>gh_1</ToUserName><FromUserName>${openid}</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1864323726461255680</MsgId></xml>`;
    await expectSuccess(await post(secure, encrypted(text, 'xml')));
    const odd = JSON.stringify({
      ToUserName: 'gh_1',
      FromUserName: openid,
      CreateTime: 2,
      MsgType: 'event',
      Event: 'user_enter_tempsession',
    });
    await expectSuccess(await post(secure, encrypted(odd, 'json')));
    expect(await quota()).toBe(before);
  });
});

describe('POST /api/wx/message, subscribe_msg_sent_event', () => {
  it('marks the delivery that got the MsgID as confirmed', async () => {
    const api = request(secure.instance.app.callback());
    const auth = { Authorization: `Bearer ${session}` };
    const created = await api
      .post('/api/reminders')
      .set(auth)
      .send({ title: '喝水', detail: '八杯', at: Date.now() + 1000 });
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;
    const sent = await waitFor(async () => {
      const res = await request(secure.instance.app.callback()).get(`/api/reminders/${id}`).set(auth);
      return res.body.data.status === 'sent' ? res.body.data : undefined;
    }, 10_000);
    const msgid = sent.lastResult.msgid as string;
    expect(msgid).toMatch(/^\d+$/);
    // As WeChat sends it: MsgID a bare JSON number beyond 2^53, items under a top-level List.
    const event =
      `{"ToUserName":"gh_123456789abc","FromUserName":"${openid}","CreateTime":"1620963428","MsgType":"event",` +
      `"Event":"subscribe_msg_sent_event","List":{"TemplateId":"${T1}","MsgID":${msgid},"ErrorCode":0,"ErrorStatus":"success"}}`;
    await expectSuccess(await post(secure, encrypted(event, 'json')));
    const res = await request(secure.instance.app.callback()).get(`/api/reminders/${id}`).set(auth);
    const delivery = res.body.data.deliveries.find((d: { msgid: string | null }) => d.msgid === msgid);
    expect(delivery).toMatchObject({
      result: 'sent',
      confirmed: { at: '2021-05-14T03:37:08.000Z', errorCode: '0', status: 'success' },
    });
    expect(sandbox.sent.some((m) => m.msgid === msgid)).toBe(true);
  });

  it('answers success for an unknown MsgID', async () => {
    const event = `{"ToUserName":"gh_1","FromUserName":"${openid}","CreateTime":3,"MsgType":"event","Event":"subscribe_msg_sent_event","List":[{"TemplateId":"${T1}","MsgID":"42","ErrorCode":"0","ErrorStatus":"success"}]}`;
    await expectSuccess(await post(secure, encrypted(event, 'json')));
  });
});

describe('POST /api/wx/message, rejections (4xx, ledger unchanged)', () => {
  const acceptMessage = () => popupJson(nextCreateTime(), [[T1, 'accept']]);
  const accept = () => encrypted(acceptMessage(), 'json');
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  const otherApp = new PushCrypto({ token: TOKEN, encodingAesKey: AES_KEY, appId: 'wxffffffffffffffff' });
  const cases: [string, () => Push, number][] = [
    ['a forged msg_signature', () => withQuery(accept(), { msg_signature: '0'.repeat(40) }), 401],
    ['a forged plain signature', () => withQuery(accept(), { signature: '0'.repeat(40) }), 401],
    ['a stale timestamp (> 5 min old)', () => encrypted(acceptMessage(), 'json', { skew: -301 }), 401],
    ['a timestamp more than 5 min ahead', () => encrypted(acceptMessage(), 'json', { skew: 301 }), 401],
    ['another appid', () => encrypted(acceptMessage(), 'json', { with: otherApp }), 403],
    [
      'a tampered ciphertext under its old signature',
      () => {
        const p = accept();
        return withEncrypt(p, flip(p.encrypt ?? '', 0), false);
      },
      401,
    ],
    [
      'a tampered ciphertext, re-signed',
      () => {
        const p = accept();
        return withEncrypt(p, flip(p.encrypt ?? '', 50), true);
      },
      400,
    ],
    ['broken base64, re-signed', () => withEncrypt(accept(), 'not*base64!', true), 400],
    ['no msg_signature', () => withQuery(accept(), { msg_signature: undefined }), 400],
    ['an unsupported content type', () => ({ ...accept(), type: 'text/plain' }), 415],
    [
      'a body over 64 KiB',
      () => {
        const p = accept();
        return { ...p, body: JSON.stringify({ Pad: 'x'.repeat(65 * 1024), Encrypt: p.encrypt }) };
      },
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
    const path = `${PATH}?${new URLSearchParams(accept().query)}`;
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
    for (const secret of [AES_KEY, `"${TOKEN}"`, ...sentCiphertexts]) expect(logs).not.toContain(secret);
  });
});
