import { SEC_CHECK_WORDS } from '../../src/sandbox/msg-sec-check';
import { post, RID, stableToken, startSandbox, type Harness } from '../sandbox/sandbox-helpers';

/** The sandbox's `wxa/msg_sec_check` v2 (docs/wechat.md#content-security): shapes, errcodes, word list, faults. */
let h: Harness;
let token: string;

beforeEach(async () => {
  h = await startSandbox();
  token = (await stableToken(h)).json.access_token;
});
afterEach(async () => {
  await h.sandbox.stop();
});

const check = (body: unknown, accessToken = token) =>
  post(`${h.url}/wxa/msg_sec_check?access_token=${encodeURIComponent(accessToken)}`, body);
const request = (over: Record<string, unknown> = {}) => ({
  version: 2,
  openid: h.sandbox.openIdFor('alice'),
  scene: 2,
  content: '明天下午三点开班会',
  ...over,
});

describe('POST /wxa/msg_sec_check (sandbox)', () => {
  it('answers pass with the real shape: result, detail, trace_id', async () => {
    const res = await check(request());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      errcode: 0,
      errmsg: 'ok',
      result: { suggest: 'pass', label: 100 },
      detail: [
        expect.objectContaining({ strategy: 'content_model', errcode: 0, suggest: 'pass', label: 100 }),
      ],
      trace_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/),
    });
    expect(h.sandbox.secChecks.calls).toEqual([
      expect.objectContaining({
        openid: h.sandbox.openIdFor('alice'),
        scene: 2,
        content: '明天下午三点开班会',
        suggest: 'pass',
      }),
    ]);
  });

  it('answers risky or review for each word of its list, in content, title or nickname, any letter case', async () => {
    for (const { word, suggest, label } of SEC_CHECK_WORDS) {
      const res = await check(request({ content: `班会通知 ${word.toUpperCase()} 请准时` }));
      expect({ word, result: res.json.result }).toEqual({ word, result: { suggest, label } });
      expect(res.json.detail).toContainEqual(expect.objectContaining({ strategy: 'keyword', keyword: word }));
    }
    expect((await check(request({ title: '周末代购' }))).json.result.suggest).toBe('review');
    expect((await check(request({ nickname: '赌博达人' }))).json.result.suggest).toBe('risky');
    // risky outranks review in one text
    expect((await check(request({ content: '代购 赌博' }))).json.result).toEqual({
      suggest: 'risky',
      label: 20006,
    });
  });

  it('answers the errcodes of bad requests', async () => {
    const errcode = async (body: unknown, accessToken?: string) =>
      (await check(body, accessToken)).json.errcode;
    expect(await errcode(request({ openid: 'not-an-openid' }))).toBe(40003);
    expect(await errcode(request({ scene: 5 }))).toBe(40129);
    expect(await errcode(request({ scene: '2' }))).toBe(40129);
    expect(await errcode(request({ content: '' }))).toBe(44002);
    expect(await errcode(request({ content: undefined }))).toBe(44002);
    expect(await errcode(request({ content: '字'.repeat(2501) }))).toBe(47001);
    expect(await errcode(request({ version: 1 }))).toBe(47001);
    expect(await errcode('{not json')).toBe(47001);
    expect(await errcode(request(), 'stale-token')).toBe(40001);
    const res = await check(request({ scene: 9 }));
    expect(res.json.errmsg).toMatch(RID);
    // 2,500 characters are fine (one CJK character counts as one, even outside the BMP)
    expect(await errcode(request({ content: '𠀀'.repeat(2500) }))).toBe(0);
    expect(h.sandbox.secChecks.calls).toHaveLength(1); // refused requests are not recorded as checks
  });

  it('answers -1 while secCheckBusy is on, and the scripted secCheckNext answers first', async () => {
    const faults = await post(`${h.url}/__sandbox/faults`, {
      secCheckNext: [{ errcode: -1 }, { http: 502 }],
    });
    expect(faults.status).toBe(200);
    expect((await check(request())).json.errcode).toBe(-1);
    expect((await check(request())).status).toBe(502);
    expect((await check(request())).json.result.suggest).toBe('pass');
    await post(`${h.url}/__sandbox/faults`, { secCheckBusy: true });
    expect((await check(request())).json.errcode).toBe(-1);
    expect((await check(request())).json.errcode).toBe(-1);
    await post(`${h.url}/__sandbox/faults`, { clear: true });
    expect((await check(request())).json.errcode).toBe(0);
    expect(h.sandbox.secChecks.attempts).toBe(6);
  });
});
