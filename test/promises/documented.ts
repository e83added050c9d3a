import type request from 'supertest';
import { TestClock, type SandboxEnv } from '../support/harness';
import { api, create, person, toUtcHour, type Person } from './promise-helpers';

/** Holds one answer against docs/openapi.yaml (test/docs/openapi.test.ts's `expectDocumented`). */
export type ExpectDocumented = (method: string, docPath: string, res: request.Response) => void;

/**
 * Exercises every promise operation of docs/openapi.yaml — each success and each documented
 * failure the routes give — and holds every answer against the document, on an instance of its own
 * (started from `env` in the calling test, with a test clock for the invite's expiry). For
 * test/docs/openapi.test.ts (`it('/api/promises…', () => exercisePromiseRoutes(env, expectDocumented))`)
 * and test/promises/documented.test.ts.
 */
export async function exercisePromiseRoutes(
  env: SandboxEnv,
  expectDocumented: ExpectDocumented,
): Promise<void> {
  const clock = new TestClock();
  toUtcHour(clock, 10); // 18:00 in Shanghai: a promise at 23:59 is owed today
  const t = await env.start({ now: clock.now });
  const { sandbox } = env;
  const author: Person = await person(t, sandbox, 'doc-author');
  const other: Person = await person(t, sandbox, 'doc-other');
  const third: Person = await person(t, sandbox, 'doc-third');
  const call = () => api(t);

  const created = await call()
    .post('/api/promises/ask')
    .set(author.auth)
    .send({ hour: 23, min: 59, detail: '每天跑步', counterpartName: '小明' });
  expect(created.status).toBe(201);
  expectDocumented('POST', '/api/promises/{type}', created);
  const id = created.body.data.id as string;
  const code = created.body.data.invite.code as string;

  const invitePath = `/api/promises/invites/${code}`;
  expectDocumented('GET', '/api/promises/invites/{code}', await call().get(invitePath).set(other.auth));
  expectDocumented(
    'GET',
    '/api/promises/invites/{code}',
    await call().get('/api/promises/invites/nope').set(other.auth),
  );
  expectDocumented('GET', '/api/promises/invites/{code}', await call().get(invitePath));
  expectDocumented(
    'GET',
    '/api/promises/invites/{code}',
    await call()
      .get(`/api/promises/invites/${'x'.repeat(65)}`)
      .set(other.auth),
  );

  const accept = (who: Person, path = `${invitePath}/accept`) => call().post(path).set(who.auth).send({});
  expectDocumented('POST', '/api/promises/invites/{code}/accept', await accept(author)); // own: 400
  const accepted = await accept(other);
  expect(accepted.status).toBe(200);
  expectDocumented('POST', '/api/promises/invites/{code}/accept', accepted);
  expectDocumented('POST', '/api/promises/invites/{code}/accept', await accept(third)); // taken: 409
  expectDocumented(
    'POST',
    '/api/promises/invites/{code}/accept',
    await accept(third, '/api/promises/invites/nope/accept'),
  );
  expectDocumented(
    'POST',
    '/api/promises/invites/{code}/accept',
    await call().post(`${invitePath}/accept`).send({}),
  );
  const late = await create(t, author, 'give', { hour: 8, min: 0, detail: '读书' });
  clock.advance(8 * 86_400_000);
  try {
    const expired = await accept(third, `/api/promises/invites/${late.invite?.code}/accept`);
    expect(expired.status).toBe(410);
    expectDocumented('POST', '/api/promises/invites/{code}/accept', expired);
    expectDocumented(
      'GET',
      '/api/promises/invites/{code}',
      await call().get(`/api/promises/invites/${late.invite?.code}`).set(third.auth),
    );
  } finally {
    clock.advance(-8 * 86_400_000);
  }

  const keep = (who: Person, body: object = {}) =>
    call().post(`/api/promises/${id}/keep`).set(who.auth).send(body);
  const kept = await keep(other);
  expect(kept.status).toBe(200);
  expectDocumented('POST', '/api/promises/{id}/keep', kept);
  expectDocumented('POST', '/api/promises/{id}/keep', await keep(other, { date: '2027-02-30' }));
  expectDocumented('POST', '/api/promises/{id}/keep', await keep(author)); // 403
  expectDocumented('POST', '/api/promises/{id}/keep', await keep(third)); // 404
  expectDocumented('POST', '/api/promises/{id}/keep', await call().post(`/api/promises/${id}/keep`).send({}));

  const list = await call().get('/api/promises?limit=1').set(other.auth);
  expect(list.status).toBe(200);
  expectDocumented('GET', '/api/promises', list);
  expectDocumented('GET', '/api/promises', await call().get('/api/promises?limit=0').set(other.auth));
  expectDocumented('GET', '/api/promises', await call().get('/api/promises'));

  const one = await call().get(`/api/promises/${id}`).set(author.auth);
  expect(one.status).toBe(200);
  expectDocumented('GET', '/api/promises/{id}', one);
  expectDocumented('GET', '/api/promises/{id}', await call().get(`/api/promises/${id}`).set(third.auth));
  expectDocumented('GET', '/api/promises/{id}', await call().get('/api/promises/abc').set(third.auth));
  expectDocumented('GET', '/api/promises/{id}', await call().get(`/api/promises/${id}`));

  const ended = await call().delete(`/api/promises/${id}`).set(other.auth);
  expect(ended.status).toBe(200);
  expectDocumented('DELETE', '/api/promises/{id}', ended);
  expectDocumented('POST', '/api/promises/{id}/keep', await keep(other)); // ended: 409
  expectDocumented(
    'DELETE',
    '/api/promises/{id}',
    await call().delete(`/api/promises/${id}`).set(third.auth),
  );
  expectDocumented('DELETE', '/api/promises/{id}', await call().delete('/api/promises/x').set(third.auth));
  expectDocumented('DELETE', '/api/promises/{id}', await call().delete(`/api/promises/${id}`));
}
