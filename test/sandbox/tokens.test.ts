import {
  APPID,
  get,
  plainToken,
  post,
  RID,
  SECRET,
  send,
  stableToken,
  startSandbox,
  type Harness,
} from './sandbox-helpers';

let h: Harness;
beforeEach(async () => {
  h = await startSandbox();
});
afterEach(async () => {
  await h.sandbox.stop();
});

describe('GET /cgi-bin/token', () => {
  it('issues a token valid for 7200 s that the send API accepts', async () => {
    const res = await plainToken(h);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    expect((await send(h, res.json.access_token)).json.errcode).toBe(0);
    expect(h.sandbox.stats.tokenFetches).toBe(1);
  });

  it('invalidates the previous token after a five-minute grace', async () => {
    const first = (await plainToken(h)).json.access_token;
    const second = (await plainToken(h)).json.access_token;
    expect(second).not.toBe(first);
    expect((await send(h, first)).json.errcode).toBe(0);
    h.clock.advance(301);
    expect((await send(h, first)).json.errcode).toBe(40001);
    expect((await send(h, second)).json.errcode).toBe(0);
  });

  it('answers 40013 for a wrong appid, 40125 for a wrong secret, 40002 for a bad grant_type', async () => {
    const q = (grant: string, appid: string, secret: string): string =>
      `${h.url}/cgi-bin/token?grant_type=${grant}&appid=${appid}&secret=${secret}`;
    const wrongAppid = await get(q('client_credential', 'wx000', SECRET));
    expect(wrongAppid.json.errcode).toBe(40013);
    expect(wrongAppid.json.errmsg).toMatch(/^invalid appid rid: /);
    expect(wrongAppid.json.errmsg).toMatch(RID);
    expect((await get(q('client_credential', APPID, 'nope'))).json.errcode).toBe(40125);
    expect((await get(q('password', APPID, SECRET))).json.errcode).toBe(40002);
    expect((await get(`${h.url}/cgi-bin/token?grant_type=client_credential`)).json.errcode).toBe(41002);
  });
});

describe('POST /cgi-bin/stable_token', () => {
  it('returns the same token while it is valid, with a shrinking expires_in', async () => {
    const a = await stableToken(h);
    expect(a.json).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    h.clock.advance(1000);
    const b = await stableToken(h);
    expect(b.json).toEqual({ access_token: a.json.access_token, expires_in: 6200 });
    expect(h.sandbox.stats.stableTokenFetches).toBe(2);
  });

  it('rotates five minutes before expiry, the old token working until it expires (then 42001)', async () => {
    const old = (await stableToken(h)).json.access_token;
    h.clock.advance(7200 - 300 + 1);
    const rotated = await stableToken(h);
    expect(rotated.json.access_token).not.toBe(old);
    expect(rotated.json.expires_in).toBeGreaterThanOrEqual(300);
    expect((await send(h, old)).json.errcode).toBe(0);
    h.clock.advance(300);
    const expired = await send(h, old);
    expect(expired.json.errcode).toBe(42001);
    expect(expired.json.errmsg).toMatch(/^access_token expired rid: /);
    expect((await send(h, rotated.json.access_token)).json.errcode).toBe(0);
  });

  it('force_refresh kills the old token at once and needs 30 s between calls', async () => {
    const old = (await stableToken(h)).json.access_token;
    const forced = await stableToken(h, true);
    expect(forced.json.access_token).not.toBe(old);
    expect((await send(h, old)).json.errcode).toBe(40001);
    expect((await send(h, forced.json.access_token)).json.errcode).toBe(0);

    const tooSoon = await stableToken(h, true);
    expect(tooSoon.json.errcode).toBe(45011);
    expect(tooSoon.json.errmsg).toMatch(RID);
    h.clock.advance(30);
    expect((await stableToken(h, true)).json.access_token).toEqual(expect.any(String));
  });

  it('allows 20 force refreshes a day, then answers 45009', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await stableToken(h, true)).json.access_token).toEqual(expect.any(String));
      h.clock.advance(31);
    }
    expect((await stableToken(h, true)).json.errcode).toBe(45009);
    h.clock.advance(24 * 3600);
    expect((await stableToken(h, true)).json.access_token).toEqual(expect.any(String));
  });

  it('is independent of /cgi-bin/token', async () => {
    const stable = (await stableToken(h)).json.access_token;
    await plainToken(h);
    h.clock.advance(600);
    await plainToken(h);
    expect((await send(h, stable)).json.errcode).toBe(0);
  });

  it('checks credentials and the request shape', async () => {
    const body = { grant_type: 'client_credential', appid: APPID, secret: SECRET };
    expect((await post(`${h.url}/cgi-bin/stable_token`, { ...body, appid: 'wx1' })).json.errcode).toBe(40013);
    expect((await post(`${h.url}/cgi-bin/stable_token`, { ...body, secret: 'x' })).json.errcode).toBe(40125);
    expect((await post(`${h.url}/cgi-bin/stable_token`, { ...body, grant_type: 'x' })).json.errcode).toBe(
      40002,
    );
    expect((await post(`${h.url}/cgi-bin/stable_token`, '{oops')).json.errcode).toBe(47001);
    expect((await get(`${h.url}/cgi-bin/stable_token`)).json.errcode).toBe(43002);
  });
});

describe('token lifetime and revocation', () => {
  it('answers 42001 once a token outlives tokenTtlSeconds', async () => {
    await h.sandbox.stop();
    h = await startSandbox({ tokenTtlSeconds: 60 });
    const res = await stableToken(h);
    expect(res.json.expires_in).toBe(60);
    h.clock.advance(59);
    expect((await send(h, res.json.access_token)).json.errcode).toBe(0);
    h.clock.advance(1);
    expect((await send(h, res.json.access_token)).json.errcode).toBe(42001);
  });

  it('revokeTokens() makes every issued token answer 40001, and new ones work', async () => {
    const stable = (await stableToken(h)).json.access_token;
    const plain = (await plainToken(h)).json.access_token;
    h.sandbox.revokeTokens();
    expect((await send(h, stable)).json.errcode).toBe(40001);
    expect((await send(h, plain)).json.errcode).toBe(40001);
    const fresh = (await stableToken(h)).json.access_token;
    expect(fresh).not.toBe(stable);
    expect((await send(h, fresh)).json.errcode).toBe(0);
  });
});
