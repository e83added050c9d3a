import type request from 'supertest';
import { listRoutes, routeName } from '../docs/routes';
import { holdToDocument, openapiDoc } from '../docs/openapi-doc';
import { api, bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { data } from '../support/api-types';
import { codeOf, type GroupView } from './group-helpers';

/**
 * Every group operation of docs/openapi.yaml, called for real: each answer's status is listed
 * for the operation and its body conforms to the documented schema (test/docs/openapi.test.ts
 * holds the rest of the API to the same rule).
 */
const exercised = new Set<string>();
// The routes of groups and members (other features may nest theirs under /api/groups/{id}/).
const GROUP_OPERATIONS = [
  'POST /api/groups',
  'GET /api/groups',
  'POST /api/groups/join',
  'GET /api/groups/{id}',
  'PATCH /api/groups/{id}',
  'PUT /api/groups/{id}',
  'DELETE /api/groups/{id}',
  'POST /api/groups/{id}/invite-code/rotate',
  'GET /api/groups/{id}/qrcode',
  'PUT /api/groups/{id}/me',
  'GET /api/groups/{id}/members',
  'PATCH /api/groups/{id}/members/{memberId}',
  'PUT /api/groups/{id}/members/{memberId}',
  'DELETE /api/groups/{id}/members/{memberId}',
];

function expectDocumented(method: string, docPath: string, res: request.Response): void {
  exercised.add(`${method} ${docPath}`);
  holdToDocument(method, docPath, res);
}

const env = useSandbox();
let t: TestInstance;

beforeAll(async () => {
  t = await env.start({ start: false });
});

describe('the group operations of docs/openapi.yaml', () => {
  it('are the group routes the app serves', () => {
    const served = new Set(listRoutes(t.instance.app).map(routeName));
    const documented = new Set(
      Object.entries(openapiDoc.paths).flatMap(([p, item]) =>
        Object.keys(item)
          .filter((m) => m !== 'parameters')
          .map((m) => `${m.toUpperCase()} ${p}`),
      ),
    );
    expect(GROUP_OPERATIONS.filter((op) => !served.has(op))).toEqual([]);
    expect(GROUP_OPERATIONS.filter((op) => !documented.has(op))).toEqual([]);
  });

  it('answer as documented, successes and failures', async () => {
    const [owner, amy, stranger] = await Promise.all([login(t, 'oa#1'), login(t, 'ob#1'), login(t, 'oc#1')]);
    const as = (token: string) => bearer(token);
    const a = () => api(t);

    const created = await a().post('/api/groups').set(as(owner)).send({ name: '三年二班', description: '' });
    expectDocumented('POST', '/api/groups', created);
    expectDocumented('POST', '/api/groups', await a().post('/api/groups').set(as(owner)).send({ name: '' }));
    const group = data<GroupView>(created);
    const id = group.id;

    expectDocumented('GET', '/api/groups', await a().get('/api/groups').set(as(owner)));
    expectDocumented('GET', '/api/groups', await a().get('/api/groups?limit=0').set(as(owner)));

    const joined = await a()
      .post('/api/groups/join')
      .set(as(amy))
      .send({ code: codeOf(group) });
    expectDocumented('POST', '/api/groups/join', joined);
    expectDocumented(
      'POST',
      '/api/groups/join',
      await a()
        .post('/api/groups/join')
        .set(as(amy))
        .send({ code: codeOf(group) }),
    );
    expectDocumented(
      'POST',
      '/api/groups/join',
      await a().post('/api/groups/join').set(as(amy)).send({ code: 'ZZZZ2222' }),
    );
    const amyId = data<GroupView>(joined).me.memberId;

    expectDocumented('GET', '/api/groups/{id}', await a().get(`/api/groups/${id}`).set(as(amy)));
    expectDocumented('GET', '/api/groups/{id}', await a().get(`/api/groups/${id}`).set(as(stranger)));
    expectDocumented('GET', '/api/groups/{id}', await a().get(`/api/groups/${id}`));
    expectDocumented(
      'PATCH',
      '/api/groups/{id}',
      await a().patch(`/api/groups/${id}`).set(as(owner)).send({ name: '二班' }),
    );
    expectDocumented(
      'PATCH',
      '/api/groups/{id}',
      await a().patch(`/api/groups/${id}`).set(as(amy)).send({ name: 'x' }),
    );
    expectDocumented(
      'PUT',
      '/api/groups/{id}',
      await a().put(`/api/groups/${id}`).set(as(owner)).send({ description: 'd' }),
    );

    const rotate = `/api/groups/${id}/invite-code/rotate`;
    expectDocumented(
      'POST',
      '/api/groups/{id}/invite-code/rotate',
      await a().post(rotate).set(as(owner)).send({}),
    );
    expectDocumented(
      'POST',
      '/api/groups/{id}/invite-code/rotate',
      await a().post(rotate).set(as(amy)).send({}),
    );

    const image = await a().get(`/api/groups/${id}/qrcode`).set(as(owner));
    expect(image.status).toBe(200);
    expectDocumented('GET', '/api/groups/{id}/qrcode', image);
    expectDocumented(
      'GET',
      '/api/groups/{id}/qrcode',
      await a().get(`/api/groups/${id}/qrcode`).set(as(amy)),
    );
    env.sandbox.faults.quotaExceeded = true;
    await a().post(rotate).set(as(owner)).send({}); // a scene not cached yet
    expectDocumented(
      'GET',
      '/api/groups/{id}/qrcode',
      await a().get(`/api/groups/${id}/qrcode`).set(as(owner)),
    );
    env.sandbox.faults.quotaExceeded = false;

    const me = `/api/groups/${id}/me`;
    expectDocumented(
      'PUT',
      '/api/groups/{id}/me',
      await a().put(me).set(as(amy)).send({ displayName: '李雷' }),
    );
    expectDocumented('PUT', '/api/groups/{id}/me', await a().put(me).set(as(amy)).send({}));

    const members = `/api/groups/${id}/members`;
    expectDocumented('GET', '/api/groups/{id}/members', await a().get(members).set(as(owner)));
    expectDocumented('GET', '/api/groups/{id}/members', await a().get(members).set(as(amy)));

    const member = `/api/groups/${id}/members/${amyId}`;
    const path = '/api/groups/{id}/members/{memberId}';
    expectDocumented(
      'PATCH',
      path,
      await a()
        .patch(member)
        .set(as(owner))
        .send({ tags: ['班干部'] }),
    );
    expectDocumented('PATCH', path, await a().patch(member).set(as(owner)).send({ tags: 'x' }));
    expectDocumented(
      'PATCH',
      path,
      await a().patch(`/api/groups/${id}/members/1`).set(as(owner)).send({ role: 'member' }),
    );
    expectDocumented('PUT', path, await a().put(member).set(as(owner)).send({ role: 'manager' }));
    expectDocumented('DELETE', path, await a().delete(`/api/groups/${id}/members/1`).set(as(owner)));
    expectDocumented('DELETE', path, await a().delete(member).set(as(amy)));

    expectDocumented('DELETE', '/api/groups/{id}', await a().delete(`/api/groups/${id}`).set(as(stranger)));
    expectDocumented('DELETE', '/api/groups/{id}', await a().delete(`/api/groups/${id}`).set(as(owner)));
  });

  it('exercised every group operation', () => {
    expect(GROUP_OPERATIONS.filter((op) => !exercised.has(op))).toEqual([]);
  });
});
