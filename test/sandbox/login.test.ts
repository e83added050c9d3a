import { APPID, code2Session, get, RID, SECRET, startSandbox, type Harness } from './sandbox-helpers';

let h: Harness;
beforeEach(async () => {
  h = await startSandbox();
});
afterEach(async () => {
  await h.sandbox.stop();
});

describe('GET /sns/jscode2session', () => {
  it('answers an openid shaped like WeChat’s and a base64 session_key', async () => {
    const res = await code2Session(h, 'alice');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      openid: expect.stringMatching(/^o[A-Za-z0-9_-]{27}$/),
      session_key: expect.any(String),
    });
    expect(Buffer.from(res.json.session_key, 'base64')).toHaveLength(16);
    expect(h.sandbox.stats.code2SessionCalls).toBe(1);
  });

  it('accepts a code once, then answers 40163', async () => {
    expect((await code2Session(h, 'bob#1')).json.openid).toEqual(expect.any(String));
    const again = await code2Session(h, 'bob#1');
    expect(again.json.errcode).toBe(40163);
    expect(again.json.errmsg).toMatch(/^code been used rid: /);
    expect(again.json.errmsg).toMatch(RID);
  });

  it('derives the openid from the part before #, so x#1 and x#2 are one user', async () => {
    const one = (await code2Session(h, 'x#1')).json.openid;
    const two = (await code2Session(h, 'x#2')).json.openid;
    const other = (await code2Session(h, 'y#1')).json.openid;
    expect(two).toBe(one);
    expect(other).not.toBe(one);
    expect(h.sandbox.openIdFor('x')).toBe(one);
    expect(h.sandbox.openIdFor('x#99')).toBe(one);
  });

  it('gives the same user the same openid in another sandbox of the same app', async () => {
    const first = (await code2Session(h, 'carol#a')).json.openid;
    const other = await startSandbox();
    try {
      expect((await code2Session(other, 'carol#b')).json.openid).toBe(first);
    } finally {
      await other.sandbox.stop();
    }
  });

  it('answers 40029 for codes starting with invalid and 40226 for codes starting with blocked', async () => {
    expect((await code2Session(h, 'invalid-code')).json.errcode).toBe(40029);
    expect((await code2Session(h, 'blocked#1')).json.errcode).toBe(40226);
  });

  it('checks appid, secret, grant_type and a missing code', async () => {
    const q = (over: Record<string, string>): string =>
      `${h.url}/sns/jscode2session?${new URLSearchParams({
        appid: APPID,
        secret: SECRET,
        js_code: 'z',
        grant_type: 'authorization_code',
        ...over,
      }).toString()}`;
    expect((await get(q({ appid: 'wx0' }))).json.errcode).toBe(40013);
    expect((await get(q({ secret: 'nope' }))).json.errcode).toBe(40125);
    expect((await get(q({ grant_type: 'client_credential' }))).json.errcode).toBe(40002);
    expect((await get(q({ js_code: '' }))).json.errcode).toBe(41008);
  });

  it('answers scripted faults from loginNext, one per call', async () => {
    h.sandbox.faults.loginNext = [{ errcode: -1 }, { errcode: 45011 }];
    expect((await code2Session(h, 'dave#1')).json.errcode).toBe(-1);
    expect((await code2Session(h, 'dave#2')).json.errcode).toBe(45011);
    expect((await code2Session(h, 'dave#3')).json.openid).toBe(h.sandbox.openIdFor('dave'));
  });
});
