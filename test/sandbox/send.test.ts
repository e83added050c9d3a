import {
  message,
  post,
  RID,
  send,
  stableToken,
  startSandbox,
  TEMPLATE_ID,
  type Harness,
} from './sandbox-helpers';

let h: Harness;
let token: string;
const logged: { obj: object; msg?: string }[] = [];

beforeEach(async () => {
  logged.length = 0;
  h = await startSandbox({ logger: { info: (obj, msg) => logged.push({ obj, msg }) } });
  token = (await stableToken(h)).json.access_token;
});
afterEach(async () => {
  await h.sandbox.stop();
});

describe('POST /cgi-bin/message/subscribe/send', () => {
  it('accepts a valid message and answers a msgid beyond 2^53 as a bare JSON number', async () => {
    const res = await send(h, token);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/json; encoding=utf-8');
    const match = /^\{"errcode":0,"errmsg":"ok","msgid":(\d+)\}$/.exec(res.text);
    expect(match).not.toBeNull();
    const digits = match?.[1] ?? '';
    expect(BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    // A plain JSON.parse loses the digits: clients must keep the raw text.
    expect(String(res.json.msgid)).not.toBe(digits);

    expect(h.sandbox.sent).toEqual([
      {
        touser: h.sandbox.openIdFor('alice'),
        template_id: TEMPLATE_ID,
        page: 'pages/index/index',
        data: message(h).data,
        miniprogram_state: 'formal',
        lang: 'zh_CN',
        msgid: digits,
        at: h.clock.ms,
      },
    ]);
    expect(h.sandbox.stats.sendCalls).toBe(1);
  });

  it('gives every message its own msgid', async () => {
    await send(h, token);
    await send(h, token);
    const [a, b] = h.sandbox.sent;
    expect(a?.msgid).not.toBe(b?.msgid);
  });

  it('logs each delivered message without the token or the secret', async () => {
    await send(h, token);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.obj).toMatchObject({
      touser: h.sandbox.openIdFor('alice'),
      template_id: TEMPLATE_ID,
      data: message(h).data,
    });
    const text = JSON.stringify(logged);
    expect(text).not.toContain(token);
    expect(text).not.toContain('sandbox-secret');
  });

  it('records a message without the optional fields as nulls', async () => {
    const { page: _p, miniprogram_state: _s, lang: _l, ...bare } = message(h);
    expect((await send(h, token, bare)).json.errcode).toBe(0);
    expect(h.sandbox.sent[0]).toMatchObject({ page: null, miniprogram_state: null, lang: null });
  });

  it('answers 47003 naming the key for a 21-character thing, and records nothing', async () => {
    const res = await send(h, token, message(h, { data: { thing1: { value: '提'.repeat(21) } } }));
    expect(res.json.errcode).toBe(47003);
    expect(res.json.errmsg).toMatch(/^argument invalid! data\.thing1\.value invalid rid: /);
    expect(res.json.errmsg).toMatch(RID);
    expect(h.sandbox.sent).toHaveLength(0);
  });

  it('answers 47003 "is empty" for an empty value and for empty data', async () => {
    const empty = await send(h, token, message(h, { data: { time2: { value: '' } } }));
    expect(empty.json.errmsg).toMatch(/^argument invalid! data\.time2\.value is empty rid: /);
    expect((await send(h, token, message(h, { data: {} }))).json.errcode).toBe(47003);
    const badTime = await send(h, token, message(h, { data: { time2: { value: '2023-03-24 11:50:00' } } }));
    expect(badTime.json.errmsg).toMatch(/data\.time2\.value invalid/);
  });

  it('answers 40001 for an unknown token and 41001 for none', async () => {
    expect((await send(h, 'not-a-token')).json.errcode).toBe(40001);
    const none = await post(`${h.url}/cgi-bin/message/subscribe/send`, message(h));
    expect(none.json.errcode).toBe(41001);
  });

  it('answers 40001 after revocation', async () => {
    h.sandbox.revokeTokens();
    const res = await send(h, token);
    expect(res.json.errcode).toBe(40001);
    expect(res.json.errmsg).toMatch(/^invalid credential/);
  });

  it('answers 42001 after the token expires', async () => {
    h.clock.advance(7200);
    expect((await send(h, token)).json.errcode).toBe(42001);
  });

  it('answers 40003 for a touser that is not an openid and 40037 without a template', async () => {
    expect((await send(h, token, message(h, { touser: 'alice' }))).json.errcode).toBe(40003);
    expect((await send(h, token, message(h, { template_id: '' }))).json.errcode).toBe(40037);
  });

  it('answers 40037 for a template outside templateIds when they are given', async () => {
    await h.sandbox.stop();
    h = await startSandbox({ templateIds: [TEMPLATE_ID] });
    token = (await stableToken(h)).json.access_token;
    expect((await send(h, token, message(h, { template_id: 'other' }))).json.errcode).toBe(40037);
    expect((await send(h, token)).json.errcode).toBe(0);
  });

  it('answers 47001 for a bad miniprogram_state or lang, or a body that is not JSON', async () => {
    const state = await send(h, token, message(h, { miniprogram_state: 'production' }));
    expect(state.json.errcode).toBe(47001);
    expect(state.json.errmsg).toMatch(/miniprogram_state/);
    expect((await send(h, token, message(h, { lang: 'fr_FR' }))).json.errcode).toBe(47001);
    expect((await send(h, token, '{not json')).json.errcode).toBe(47001);
  });
});

describe('send faults', () => {
  it('answers the scripted next queue in order, one per send call', async () => {
    h.sandbox.faults.next = [{ errcode: -1 }, { http: 502 }, { errcode: 45168 }];
    const busy = await send(h, token);
    expect(busy.json.errcode).toBe(-1);
    expect(busy.json.errmsg).toMatch(RID);
    const gateway = await send(h, token);
    expect(gateway.status).toBe(502);
    expect(gateway.json).toBeNull();
    expect((await send(h, token)).json.errcode).toBe(45168);
    expect((await send(h, token)).json.errcode).toBe(0);
    expect(h.sandbox.faults.next).toEqual([]);
    expect(h.sandbox.stats.sendCalls).toBe(4);
  });

  it('hangs a send until stop', async () => {
    h.sandbox.faults.next = [{ hang: true }];
    const pending = fetch(`${h.url}/cgi-bin/message/subscribe/send?access_token=${token}`, {
      method: 'POST',
      body: JSON.stringify(message(h)),
    });
    const outcome = await Promise.race([
      pending.then(() => 'answered').catch(() => 'failed'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 300)),
    ]);
    expect(outcome).toBe('still waiting');
    const started = Date.now();
    await h.sandbox.stop();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(10_000); // a hung answer would hold it for good
  });

  it('delays every API answer by latencyMs', async () => {
    h.sandbox.faults.latencyMs = 250;
    const started = Date.now();
    expect((await send(h, token)).json.errcode).toBe(0);
    expect((await stableToken(h)).json.access_token).toBe(token);
    expect(Date.now() - started).toBeGreaterThanOrEqual(480);
  });

  it('fails failRate of sends at random, with -1 or HTTP 502', async () => {
    await h.sandbox.stop();
    // Draws: fail (0.1 < 0.5) then pick -1 (0.2 < 0.5); fail then pick 502 (0.9); pass (0.7).
    const draws = [0.1, 0.2, 0.1, 0.9, 0.7];
    h = await startSandbox({ random: () => draws.shift() ?? 0.99 });
    h.sandbox.faults.failRate = 0.5;
    token = (await stableToken(h)).json.access_token;
    expect((await send(h, token)).json.errcode).toBe(-1);
    expect((await send(h, token)).status).toBe(502);
    expect((await send(h, token)).json.errcode).toBe(0);
  });

  it('answers 45009 while quotaExceeded', async () => {
    h.sandbox.faults.quotaExceeded = true;
    expect((await send(h, token)).json.errcode).toBe(45009);
    h.sandbox.faults.quotaExceeded = false;
    expect((await send(h, token)).json.errcode).toBe(0);
  });

  it('answers 43101 to the openids in noQuotaFor only', async () => {
    h.sandbox.faults.noQuotaFor = [h.sandbox.openIdFor('alice')];
    const refused = await send(h, token);
    expect(refused.json.errcode).toBe(43101);
    expect(refused.json.errmsg).toMatch(/^user refuse to accept the msg rid: /);
    expect((await send(h, token, message(h, { touser: h.sandbox.openIdFor('bob') }))).json.errcode).toBe(0);
  });
});
