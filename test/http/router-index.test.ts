import Router from '@koa/router';
import Koa from 'koa';
import request from 'supertest';
import type { AppState } from '../../src/http/context';
import { routeByResource } from '../../src/http/router-index';

// Routing by resource answers as one router holding every route would: the route of the request's
// resource, a route that may match anything, 405 with Allow, and 404 for the rest.
function app(): Koa<AppState> {
  const a = new Router<AppState>();
  a.get('/api/things', (ctx) => (ctx.body = 'list'));
  a.get('/api/things/:id', (ctx) => (ctx.body = `thing ${ctx.params.id}`));
  a.post('/api/things/:id/done', (ctx) => (ctx.body = `done ${ctx.params.id}`));
  const b = new Router<AppState>();
  b.get('/api/others', (ctx) => (ctx.body = 'others'));
  const anywhere = new Router<AppState>();
  anywhere.get('/:section/about', (ctx) => (ctx.body = `about ${ctx.params.section}`));
  const koa = new Koa<AppState>();
  koa.use(routeByResource([a, b, anywhere]));
  return koa;
}

describe('routing by resource', () => {
  const server = app().callback();
  const get = (path: string) => request(server).get(path);

  it("answers each resource's routes, and routes that may match any path", async () => {
    expect((await get('/api/things')).text).toBe('list');
    expect((await get('/api/things/7')).text).toBe('thing 7');
    expect((await request(server).post('/api/things/7/done')).text).toBe('done 7');
    expect((await get('/api/others')).text).toBe('others');
    expect((await get('/api/about')).text).toBe('about api'); // no such resource: every route
    expect((await get('/API/Things/8')).text).toBe('thing 8'); // matched without case, as before
  });

  it('answers 405 with Allow for a known path and another method, 404 for an unknown path', async () => {
    const wrong = await request(server).delete('/api/things/7');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toContain('GET');
    expect((await get('/api/things/7/nothing')).status).toBe(404);
    expect((await get('/nowhere')).status).toBe(404);
  });
});
