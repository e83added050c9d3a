import Router from '@koa/router';
import Joi from 'joi';
import request from 'supertest';
import { createApp } from '../../src/http/app';
import { draftOf, inputOf, reply, type AppContext, type AppState } from '../../src/http/context';
import { validate } from '../../src/http/middleware/validate';
import { required, text, typedObject, withDefault } from '../../src/http/schemas';
import { createLogger } from '../../src/logger';
import { data, errorBody, type ReminderView } from '../support/api-types';
import { api, bearer, login, useSandbox } from '../support/harness';

interface Params {
  id: string;
}
interface Query {
  id?: string;
  limit: number;
}
interface Body {
  id?: string;
  title?: string;
}

const params = typedObject<Params>({ id: required(Joi.string().pattern(/^\d+$/)) });
const query = typedObject<Query>({ id: Joi.string(), limit: withDefault(Joi.number().integer(), 5) });
const body = typedObject<Body>({ id: Joi.string(), title: text().max(5) });

/** An app whose routes answer the input validate() handed them, as the handler reads it. */
function echoApp() {
  const router = new Router<AppState>();
  const checked = validate({ params, query, body });
  router.post('/things/:id', checked, (ctx: AppContext) => reply(ctx, inputOf(ctx, checked)));
  const collecting = validate({ params, query, body }, { collect: true });
  router.post('/drafts/:id', collecting, (ctx: AppContext) => {
    const { params: p, query: q, input, problems } = draftOf(ctx, collecting);
    reply(ctx, { params: p, query: q, body: input, problems });
  });
  const other = validate({ params });
  router.post('/misread/:id', checked, (ctx: AppContext) => reply(ctx, inputOf(ctx, other)));
  return createApp({ logger: createLogger({ level: 'silent' }), routers: [router] }).callback();
}

describe('validate()', () => {
  const app = echoApp();

  it('hands the handler params, query and body apart, a body id never taking the path id’s place', async () => {
    const res = await request(app).post('/things/7?id=8').send({ id: '9', title: 'ok' });
    expect(res.status).toBe(200);
    expect(data(res)).toEqual({
      params: { id: '7' },
      query: { id: '8', limit: 5 },
      body: { id: '9', title: 'ok' },
    });
  });

  it('keeps the path id in a draft whose body names another id and has problems', async () => {
    const res = await request(app).post('/drafts/7').send({ id: '9', title: 'too long' });
    expect(res.status).toBe(200);
    expect(data(res)).toEqual({
      params: { id: '7' },
      query: { limit: 5 },
      body: { id: '9' },
      problems: [{ path: 'title', message: expect.stringContaining('title') }],
    });
  });

  it('still answers 400 naming each bad part when params and body are both wrong', async () => {
    const res = await request(app).post('/things/x').send({ title: 'too long' });
    expect(res.status).toBe(400);
    expect(errorBody(res).details?.map((d) => d.path)).toEqual(['id', 'title']);
  });

  it('refuses to read the input as another validator’s (a programming error, 500)', async () => {
    const res = await request(app).post('/misread/7').send({});
    expect(res.status).toBe(500);
  });
});

describe('PATCH /api/reminders/:id with an id in the body', () => {
  const env = useSandbox();

  it('answers 400 naming id and edits neither the path’s reminder nor the body’s', async () => {
    const t = await env.start();
    const as = bearer(await login(t, 'alice#1'));
    const at = Date.now() + 3600_000;
    const first = data<ReminderView>(await api(t).post('/api/reminders').set(as).send({ title: 'one', at }));
    const second = data<ReminderView>(await api(t).post('/api/reminders').set(as).send({ title: 'two', at }));

    const res = await api(t)
      .patch(`/api/reminders/${first.id}`)
      .set(as)
      .send({ id: second.id, title: 'new' });
    expect(res.status).toBe(400);
    expect(errorBody(res).details?.map((d) => d.path)).toEqual(['id']);
    const titles = async () =>
      Promise.all([first.id, second.id].map((id) => t.redis.hGet(t.instance.keys.reminder(id), 'title')));
    expect(await titles()).toEqual(['one', 'two']);

    // The same edit without the body id goes to the path's reminder only.
    const edited = await api(t).patch(`/api/reminders/${first.id}`).set(as).send({ title: 'new' });
    expect(data<ReminderView>(edited)).toMatchObject({ id: first.id, title: 'new' });
    expect(await titles()).toEqual(['new', 'two']);
  });
});
