import request from 'supertest';
import { parseTemplates } from '../../src/wechat/templates';
import { login, useSandbox, type TestInstance } from '../support/harness';
import { data, type QuotaView } from '../support/api-types';

const T1 = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
const T2 = 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc';
const T3 = '9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI';
// Reports count only for the templates a deployment sends with: these three here.
const fields = { thing1: '{{title}}', time2: '{{fireTime}}' };
const templates = parseTemplates({ [T1]: fields, [T2]: fields, [T3]: fields });

const env = useSandbox();
let counting: TestInstance; // WX_TOKEN unset: client reports are the grants
let pushed: TestInstance; // WX_TOKEN set: popup events are the grants, reports only recorded
let countingToken: string;
let pushedToken: string;

beforeAll(async () => {
  counting = await env.start({ templates, start: false });
  pushed = await env.start({
    config: { wx: { token: 'pushToken123' } },
    templates,
    start: false,
  });
  countingToken = await login(counting, 'alice#1');
  pushedToken = await login(pushed, 'alice#2');
});

const report = (t: TestInstance, token: string, body: unknown) =>
  request(t.instance.app.callback())
    .post('/api/subscriptions')
    .set('Authorization', `Bearer ${token}`)
    .send(body as object);
const view = (t: TestInstance, token: string) =>
  request(t.instance.app.callback()).get('/api/subscriptions').set('Authorization', `Bearer ${token}`);
const paths = (res: request.Response) => (res.body.details as { path: string }[]).map((d) => d.path).sort();

describe('POST /api/subscriptions without message push (WX_TOKEN unset)', () => {
  it('adds one grant per accept, and accepts add up', async () => {
    const first = await report(counting, countingToken, { results: { [T1]: 'accept' } });
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ quota: { [T1]: 1 }, counted: true, ignored: [] });
    const second = await report(counting, countingToken, { results: { [T1]: 'accept' } });
    expect(second.body.data.quota[T1]).toBe(2);
    const got = await view(counting, countingToken);
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual({ quota: { [T1]: 2 }, counted: true });
  });

  it('takes the raw result of wx.requestSubscribeMessage as well', async () => {
    const res = await report(counting, countingToken, {
      errMsg: 'requestSubscribeMessage:ok',
      [T2]: 'accept',
      [T3]: 'reject',
    });
    expect(res.status).toBe(200);
    expect(res.body.data.quota).toMatchObject({ [T2]: 1, [T3]: 0 });
  });

  it('adds nothing for reject, ban or filter', async () => {
    const before = data<QuotaView>(await view(counting, countingToken)).quota;
    const res = await report(counting, countingToken, {
      results: { [T1]: 'reject', [T2]: 'ban', [T3]: 'filter' },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.quota).toEqual({ ...before, [T3]: before[T3] ?? 0 });
  });
});

describe('POST /api/subscriptions with message push (WX_TOKEN set)', () => {
  it('records the report but leaves granting to the popup event', async () => {
    const res = await report(pushed, pushedToken, { results: { [T1]: 'accept', [T2]: 'reject' } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ quota: { [T1]: 0, [T2]: 0 }, counted: false, ignored: [] });
    expect((await view(pushed, pushedToken)).body.data).toEqual({ quota: {}, counted: false });
    const openid = await pushed.redis.hGet(pushed.instance.keys.session(pushedToken), 'openid');
    const recorded = await pushed.redis.hGetAll(pushed.instance.keys.subscriptionReports(openid ?? ''));
    expect(JSON.parse(recorded[T1] ?? '{}')).toMatchObject({ result: 'accept', at: expect.any(String) });
    expect(JSON.parse(recorded[T2] ?? '{}')).toMatchObject({ result: 'reject' });
  });
});

describe('/api/subscriptions input and sessions', () => {
  it.each([
    ['an unknown result', { results: { [T1]: 'maybe' } }, [`results.${T1}`]],
    ['no template at all', { results: {} }, ['results']],
    ['an empty body', {}, ['results']],
    ['a malformed template id', { results: { 'not a template!': 'accept' } }, ['results.not a template!']],
    ['both shapes at once', { results: { [T1]: 'accept' }, [T2]: 'accept' }, ['results']],
    [
      'more than 10 templates',
      { results: Object.fromEntries([...Array(11).keys()].map((i) => [`t${i}`, 'accept'])) },
      ['results'],
    ],
    ['results that is not an object', { results: 'accept' }, ['results']],
  ])('answers %s with 400 naming the field, granting nothing', async (_name, body, expected) => {
    const before = (await view(counting, countingToken)).body.data.quota;
    const res = await report(counting, countingToken, body);
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe(40001);
    expect(paths(res)).toEqual(expected);
    expect((await view(counting, countingToken)).body.data.quota).toEqual(before);
  });

  it('answers 401 without a session, for POST and GET', async () => {
    const api = request(counting.instance.app.callback());
    expect((await api.post('/api/subscriptions').send({ results: { [T1]: 'accept' } })).status).toBe(401);
    expect((await api.get('/api/subscriptions')).status).toBe(401);
    const stale = await api.get('/api/subscriptions').set('Authorization', `Bearer ${'x'.repeat(43)}`);
    expect(stale.status).toBe(401);
  });
});
