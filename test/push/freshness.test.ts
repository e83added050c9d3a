import request from 'supertest';
import { PushCrypto } from '../../src/push/push-crypto';
import { login, TEST_APPID, useSandbox, type TestInstance } from '../support/harness';
import { data, type QuotaView } from '../support/api-types';
import { PushRequests, type Push } from './push-requests';

// docs/architecture.md#message-push: every request to the push URL, the GET verification included,
// is fresh-checked (timestamp within ±5 min, nonce never seen before), and a mode the deployment is
// not set up for is the caller's problem (4xx), not ours (5xx).

const TOKEN = 'freshnessToken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const T1 = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
const PATH = '/api/wx/message';
const wechat = new PushRequests({ token: TOKEN, aesKey: AES_KEY, appId: TEST_APPID });
const signer = new PushCrypto({ token: TOKEN, appId: TEST_APPID });

const env = useSandbox();
let plain: TestInstance; // token only: plain mode, where a GET's signature is a POST's signature
let session: string;
let openid: string;
let seq = 0;

beforeAll(async () => {
  plain = await env.start({ config: { wx: { token: TOKEN } }, start: false });
  session = await login(plain, 'fresh#1');
  openid = (await plain.redis.hGet(plain.instance.keys.session(session), 'openid')) ?? '';
  expect(openid).toMatch(/^o/);
});

/** The query WeChat's console sends to verify the URL, `skew` seconds off our clock. */
function verification(skew = 0): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000) + skew);
  const nonce = `v${Date.now()}${++seq}`;
  return { signature: signer.signature(timestamp, nonce), timestamp, nonce, echostr: `echo${seq}` };
}

const app = () => plain.instance.app.callback();
const get = (query: Record<string, string>) => request(app()).get(PATH).query(query);
const post = (push: Push) =>
  request(app()).post(PATH).query(push.query).set('Content-Type', push.type).send(push.body);

async function quota(): Promise<number> {
  const res = await request(app()).get('/api/subscriptions').set('Authorization', `Bearer ${session}`);
  expect(res.status).toBe(200);
  return data<QuotaView>(res).quota[T1] ?? 0;
}

/** One popup event granting fifty subscriptions of T1 at once. */
const fiftyGrants = () =>
  wechat.popupJson(
    openid,
    Array.from({ length: 50 }, (): [string, string] => [T1, 'accept']),
  );

describe('GET /api/wx/message, fresh-checked like every push', () => {
  it('answers a fresh verification with its echostr', async () => {
    const query = verification();
    const res = await get(query);
    expect(res.status).toBe(200);
    expect(res.text).toBe(query.echostr);
  });

  it('answers a replayed verification with 401 (nonce already used) and no echo', async () => {
    const query = verification();
    expect((await get(query)).status).toBe(200);
    const replay = await get(query);
    expect(replay.status).toBe(401);
    expect(replay.body.errcode).toBe(40112);
    expect(replay.text).not.toContain(query.echostr);
  });

  it.each([
    ['more than 5 minutes old', -301],
    ['more than 5 minutes ahead', 301],
  ])('answers a verification %s with 401 and no echo', async (_name, skew) => {
    const query = verification(skew);
    const res = await get(query);
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe(40111);
    expect(res.text).not.toContain(query.echostr);
  });

  it("refuses a POST replaying a captured verification's query with a forged body: 401, no grant", async () => {
    const before = await quota();
    const captured = verification();
    expect((await get(captured)).status).toBe(200); // WeChat's GET reached us first, as it does
    const { echostr: _echostr, ...query } = captured;
    const forged = await post({ query, body: fiftyGrants(), type: 'application/json' });
    expect(forged.status).toBe(401);
    expect(forged.body.errcode).toBe(40112);
    expect(await quota()).toBe(before);
    // Positive control: the same body under a query of its own is applied in full.
    const fresh = await post(wechat.plain(fiftyGrants(), 'application/json'));
    expect(fresh.status).toBe(200);
    expect(await quota()).toBe(before + 50);
  });

  it('refuses a verification reusing the nonce of a POST already processed', async () => {
    const push = wechat.plain(wechat.popupJson(openid, [[T1, 'reject']]), 'application/json');
    expect((await post(push)).status).toBe(200);
    const res = await get({ ...push.query, echostr: 'again' });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe(40112);
  });
});

describe('POST /api/wx/message, encrypt_type=aes where no WX_AES_KEY is configured', () => {
  it('answers 400 (40010) naming WX_AES_KEY, with nothing applied', async () => {
    const before = await quota();
    const res = await post(wechat.encrypted(wechat.popupJson(openid, [[T1, 'accept']]), 'json'));
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe(40010);
    expect(res.body.errmsg).toContain('WX_AES_KEY');
    expect(await quota()).toBe(before);
  });

  it('still answers a forged msg_signature with 401: authentication comes first', async () => {
    const push = wechat.encrypted(wechat.popupJson(openid, [[T1, 'accept']]), 'json');
    const res = await post({ ...push, query: { ...push.query, msg_signature: '0'.repeat(40) } });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe(40110);
  });
});
