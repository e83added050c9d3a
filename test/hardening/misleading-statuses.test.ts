import net from 'node:net';
import request from 'supertest';
import { parseTemplates } from '../../src/wechat/templates';
import { login, useSandbox, type TestInstance } from '../support/harness';
import { send } from './raw-http';

const T1 = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
// Template ids that are also names of Object.prototype: they must count like any other.
const PROTO_NAMED = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const fields = { thing1: '{{title}}', time2: '{{fireTime}}' };
const templates = parseTemplates(Object.fromEntries([T1, ...PROTO_NAMED].map((id) => [id, fields])));

const env = useSandbox();
let t: TestInstance;
let port: number;
let token: string;

beforeAll(async () => {
  t = await env.start({ templates, start: false });
  port = (await t.instance.listen(0, '127.0.0.1')).port;
  token = await login(t, 'status#1');
});

const api = () => request(t.instance.app.callback());
const auth = () => ({ Authorization: `Bearer ${token}` });

describe('statuses that say what happened', () => {
  it('names a __proto__ key with 400 instead of calling the body invalid JSON', async () => {
    for (const [body, where] of [
      ['{"__proto__":{"title":"x"},"title":"t","at":1}', '__proto__'],
      ['{"title":"t","data":{"__proto__":"x"}}', 'data.__proto__'],
      ['{"results":{"__proto__":"accept"}}', 'results.__proto__'],
      // spelled with escapes, JSON.parse makes the same key of it
      ['{"title":"t","data":{"\\u005f_proto__":"x"}}', 'data.__proto__'],
    ]) {
      const res = await api()
        .post('/api/subscriptions')
        .set(auth())
        .set('Content-Type', 'application/json')
        .send(body);
      expect({
        status: res.status,
        errcode: res.body.errcode,
        paths: res.body.details?.map((d: { path: string }) => d.path),
      }).toEqual({
        status: 400,
        errcode: 40001,
        paths: [where],
      });
    }
  });

  it.each(['TRACE', 'PROPFIND', 'MKCOL', 'PURGE'])(
    'answers %s with 405 in the JSON envelope and an Allow header',
    async (method) => {
      const res = await send(port, { method, path: '/api/login' });
      expect(res.status).toBe(405);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json).toMatchObject({ errcode: 40501 });
      expect(res.headers.allow).toContain('POST');
    },
  );

  it('answers a request Node cannot parse with 400 in the envelope, not a bare status line', async () => {
    for (const head of ['GET /api/health HTTP/1.1\r\nBad Header\r\n\r\n', 'NOT-HTTP\r\n\r\n']) {
      const answer = await new Promise<string>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
        let text = '';
        socket.on('data', (c) => (text += c.toString()));
        socket.on('close', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
      expect(answer).toContain('{"errcode":40004,');
    }
    const huge = await send(port, {
      method: 'GET',
      path: '/api/health',
      headers: { 'X-Big': 'x'.repeat(20_000) },
    });
    expect({ status: huge.status, errcode: huge.json?.errcode }).toEqual({ status: 431, errcode: 43101 });
  });

  it('answers an unused method on an unknown path with 404 in the envelope', async () => {
    const res = await send(port, { method: 'PROPFIND', path: '/nothing/here' });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ errcode: 40401 });
  });
});

describe('POST /api/subscriptions counts only this server’s templates, from a popup that succeeded', () => {
  const report = (body: object) => api().post('/api/subscriptions').set(auth()).send(body);
  const recorded = async () => {
    const openid = await t.redis.hGet(t.instance.keys.session(token), 'openid');
    return t.redis.hLen(t.instance.keys.subscriptionReports(openid ?? ''));
  };

  it('ignores unknown template ids, says so, and records nothing for them', async () => {
    for (let round = 0; round < 30; round++) {
      const ids = Array.from({ length: 10 }, (_, i) => `made-up-${round}-${i}`);
      const res = await report({
        errMsg: 'requestSubscribeMessage:ok',
        ...Object.fromEntries(ids.map((id) => [id, 'accept'])),
      });
      expect(res.status).toBe(200);
      expect(res.body.data.ignored.map((i: { templateId: string }) => i.templateId)).toEqual(ids);
      expect(Object.keys(res.body.data.quota).filter((id) => id.startsWith('made-up'))).toEqual([]);
    }
    expect(await recorded()).toBe(0);
    // Positive control: a configured template in the same report is recorded and granted.
    const res = await report({ errMsg: 'requestSubscribeMessage:ok', [T1]: 'accept', 'made-up-x': 'accept' });
    expect(res.body.data.quota[T1]).toBe(1);
    expect(await recorded()).toBe(1);
  });

  it('grants nothing for a popup whose errMsg is a failure', async () => {
    const before = (await api().get('/api/subscriptions').set(auth())).body.data.quota[T1] ?? 0;
    const res = await report({
      errMsg: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture.',
      errCode: 20003,
      [T1]: 'accept',
    });
    expect(res.status).toBe(200);
    expect(res.body.data.ignored).toEqual([
      { templateId: T1, reason: expect.stringContaining('did not succeed') },
    ]);
    expect((await api().get('/api/subscriptions').set(auth())).body.data.quota[T1] ?? 0).toBe(before);
    const failedResults = await report({
      results: { [T1]: 'accept' },
      errMsg: 'requestSubscribeMessage:fail',
    });
    expect(failedResults.body.data.ignored).toHaveLength(1);
  });

  it('answers template ids named like Object.prototype properties like any other', async () => {
    // Rejected first: no grant yet, so each must still get its own 0 in the answer.
    const rejected = await report({
      errMsg: 'requestSubscribeMessage:ok',
      ...Object.fromEntries(PROTO_NAMED.map((id) => [id, 'reject'])),
    });
    for (const id of PROTO_NAMED)
      expect(Object.prototype.hasOwnProperty.call(rejected.body.data.quota, id)).toBe(true);
    for (const id of PROTO_NAMED) expect(rejected.body.data.quota[id]).toBe(0);
    const res = await report({
      errMsg: 'requestSubscribeMessage:ok',
      ...Object.fromEntries(PROTO_NAMED.map((id) => [id, 'accept'])),
    });
    expect(res.status).toBe(200);
    for (const id of PROTO_NAMED)
      expect(Object.prototype.hasOwnProperty.call(res.body.data.quota, id) && res.body.data.quota[id]).toBe(
        1,
      );
    const view = await api().get('/api/subscriptions').set(auth());
    for (const id of PROTO_NAMED) expect(view.body.data.quota[id]).toBe(1);
  });
});
