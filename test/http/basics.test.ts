import request from 'supertest';
import { useSandbox, type TestInstance } from '../support/harness';

const env = useSandbox();
let t: TestInstance;

beforeAll(async () => {
  t = await env.start();
});

const server = () => t.instance.app.callback();

describe('the error envelope', () => {
  it('answers an unknown route with 404 in the envelope', async () => {
    const res = await request(server()).get('/api/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errcode: 40401, errmsg: 'no route for GET /api/nope' });
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const res = await request(server()).delete('/api/login');
    expect(res.status).toBe(405);
    expect(res.body.errcode).toBe(40501);
    expect(res.headers.allow).toContain('POST');
  });

  it('answers malformed JSON with 400 and no stack trace', async () => {
    const res = await request(server())
      .post('/api/login')
      .set('Content-Type', 'application/json')
      .send('{"code":');
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe(40002);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('answers a non-JSON content type with 415', async () => {
    const res = await request(server()).post('/api/login').set('Content-Type', 'text/plain').send('code=abc');
    expect(res.status).toBe(415);
    expect(res.body.errcode).toBe(41501);
  });

  it('answers a 100 KiB body with 413', async () => {
    const res = await request(server())
      .post('/api/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ code: 'x'.repeat(100 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body.errcode).toBe(41301);
  });

  it('names every invalid field in details', async () => {
    const res = await request(server()).post('/api/login').send({ code: '', extra: 1 });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['code', 'extra']);
  });

  it('echoes a sane X-Request-Id and invents one otherwise', async () => {
    const mine = await request(server()).get('/api/health').set('X-Request-Id', 'abc-123');
    expect(mine.headers['x-request-id']).toBe('abc-123');
    const invented = await request(server()).get('/api/health').set('X-Request-Id', 'bad id with spaces');
    expect(invented.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('GET /api/health', () => {
  it('reports Redis up, the version and the instance', async () => {
    const res = await request(server()).get('/api/health');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'ok', redis: 'up', version: expect.any(String) });
  });
});
