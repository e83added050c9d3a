import { api, bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { data, errorBody } from '../support/api-types';
import {
  codeOf,
  createGroup,
  joinGroup,
  type GroupView,
  type MemberPageView,
  type MemberView,
} from './group-helpers';

const env = useSandbox();
let t: TestInstance;
let seq = 0;

beforeAll(async () => {
  t = await env.start({ start: false });
});

/** A group of its own per test: an owner, a manager and two members, each with a token. */
async function classroom() {
  seq += 1;
  const names = ['owner', 'manager', 'amy', 'ben', 'stranger'].map((n) => `${n}${seq}`);
  const [owner = '', manager = '', amy = '', ben = '', stranger = ''] = await Promise.all(
    names.map((n) => login(t, `${n}#1`)),
  );
  const group = await createGroup(t, owner);
  const ids: Record<string, string> = { owner: group.me.memberId };
  for (const [who, token] of [
    ['manager', manager],
    ['amy', amy],
    ['ben', ben],
  ] as const) {
    ids[who] = (await joinGroup(t, token, codeOf(group))).me.memberId;
  }
  const res = await api(t)
    .patch(`/api/groups/${group.id}/members/${ids.manager}`)
    .set(bearer(owner))
    .send({ role: 'manager' });
  if (res.status !== 200) throw new Error(`promote answered ${res.status} ${res.text}`);
  const openid = (who: string) => env.sandbox.openIdFor(`${who}${seq}`);
  return { group, ids, owner, manager, amy, ben, stranger, openid };
}

const memberPath = (groupId: string, memberId: string | undefined) =>
  `/api/groups/${groupId}/members/${memberId ?? ''}`;

describe('PUT /api/groups/:id/me', () => {
  it("sets the caller's display name and student number in that group only", async () => {
    const c = await classroom();
    const other = await createGroup(t, c.owner, '学生会');
    await joinGroup(t, c.amy, codeOf(other));
    const res = await api(t)
      .put(`/api/groups/${c.group.id}/me`)
      .set(bearer(c.amy))
      .send({ displayName: ' 李雷 ', studentNo: '20230101' });
    expect(res.status).toBe(200);
    expect(data<MemberView>(res)).toMatchObject({
      memberId: c.ids.amy,
      displayName: '李雷',
      studentNo: '20230101',
    });
    expect((await t.instance.groups.membership(c.group.id, c.openid('amy')))?.displayName).toBe('李雷');
    expect((await t.instance.groups.membership(other.id, c.openid('amy')))?.displayName).toBe('');
    // PUT replaces: without a student number there is none.
    await api(t).put(`/api/groups/${c.group.id}/me`).set(bearer(c.amy)).send({ displayName: '李雷' });
    expect((await t.instance.groups.membership(c.group.id, c.openid('amy')))?.studentNo).toBe('');
  });

  it('answers 400 naming the fields, 404 for a stranger, and stores nothing', async () => {
    const c = await classroom();
    const bad = await api(t)
      .put(`/api/groups/${c.group.id}/me`)
      .set(bearer(c.amy))
      .send({ displayName: '', studentNo: 'x'.repeat(33) });
    expect(bad.status).toBe(400);
    expect(errorBody(bad).details?.map((d) => d.path)).toEqual(['displayName', 'studentNo']);
    const stranger = await api(t)
      .put(`/api/groups/${c.group.id}/me`)
      .set(bearer(c.stranger))
      .send({ displayName: 'x' });
    expect(stranger.status).toBe(404);
    expect(await t.instance.groups.membership(c.group.id, c.openid('stranger'))).toBeNull();
    expect((await t.instance.groups.membership(c.group.id, c.openid('amy')))?.displayName).toBe('');
  });
});

describe('GET /api/groups/:id/members', () => {
  it('lists members in join order with roles, tags and profiles, never an openid, paged', async () => {
    const c = await classroom();
    await api(t)
      .put(`/api/groups/${c.group.id}/me`)
      .set(bearer(c.ben))
      .send({ displayName: '韩梅梅', studentNo: '7' });
    const first = await api(t).get(`/api/groups/${c.group.id}/members?limit=3`).set(bearer(c.manager));
    expect(first.status).toBe(200);
    const page = data<MemberPageView>(first);
    expect(page.items.map((m) => [m.memberId, m.role])).toEqual([
      [c.ids.owner, 'owner'],
      [c.ids.manager, 'manager'],
      [c.ids.amy, 'member'],
    ]);
    expect(page.nextCursor).toBe(c.ids.amy);
    const rest = await api(t)
      .get(`/api/groups/${c.group.id}/members?limit=3&cursor=${page.nextCursor}`)
      .set(bearer(c.owner));
    const last = data<MemberPageView>(rest);
    expect(last.items).toEqual([
      {
        memberId: c.ids.ben,
        role: 'member',
        tags: [],
        displayName: '韩梅梅',
        studentNo: '7',
        joinedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    expect(last.nextCursor).toBeNull();
    const text = JSON.stringify([first.body, rest.body]);
    for (const who of ['owner', 'manager', 'amy', 'ben']) expect(text).not.toContain(c.openid(who));
  });

  it('filters by tag', async () => {
    const c = await classroom();
    await api(t)
      .patch(memberPath(c.group.id, c.ids.ben))
      .set(bearer(c.manager))
      .send({ tags: ['班干部', '团员'] });
    await api(t)
      .patch(memberPath(c.group.id, c.ids.owner))
      .set(bearer(c.manager))
      .send({ tags: ['班干部'] });
    const res = await api(t)
      .get(`/api/groups/${c.group.id}/members`)
      .query({ tag: '班干部' })
      .set(bearer(c.owner));
    expect(data<MemberPageView>(res).items.map((m) => m.memberId)).toEqual([c.ids.owner, c.ids.ben]);
    const none = await api(t)
      .get(`/api/groups/${c.group.id}/members`)
      .query({ tag: '社团' })
      .set(bearer(c.owner));
    expect(data<MemberPageView>(none)).toEqual({ items: [], nextCursor: null });
  });

  it('is for managers: 403 for a member, 404 for a stranger', async () => {
    const c = await classroom();
    const member = await api(t).get(`/api/groups/${c.group.id}/members`).set(bearer(c.amy));
    expect(member.status).toBe(403);
    expect(errorBody(member).errcode).toBe(40340);
    expect((await api(t).get(`/api/groups/${c.group.id}/members`).set(bearer(c.stranger))).status).toBe(404);
  });
});

describe('PATCH /api/groups/:id/members/:memberId', () => {
  it('lets managers set tags (PUT too); a member may not', async () => {
    const c = await classroom();
    const res = await api(t)
      .put(memberPath(c.group.id, c.ids.amy))
      .set(bearer(c.manager))
      .send({ tags: [' 班干部 ', '学习委员'] });
    expect(res.status).toBe(200);
    expect(data<MemberView>(res)).toMatchObject({
      memberId: c.ids.amy,
      role: 'member',
      tags: ['班干部', '学习委员'],
    });
    const member = await api(t)
      .patch(memberPath(c.group.id, c.ids.ben))
      .set(bearer(c.amy))
      .send({ tags: ['x'] });
    expect(member.status).toBe(403);
    expect((await t.instance.groups.membership(c.group.id, c.openid('ben')))?.tags).toEqual([]);
  });

  it('answers 400 for more than 20 tags, a tag over 20 characters, a duplicate, a bad role, or nothing', async () => {
    const c = await classroom();
    const path = memberPath(c.group.id, c.ids.amy);
    const tooMany = Array.from({ length: 21 }, (_, i) => `t${i}`);
    const bad = await api(t).patch(path).set(bearer(c.owner)).send({ tags: tooMany, role: 'admin' });
    expect(bad.status).toBe(400);
    expect(
      errorBody(bad)
        .details?.map((d) => d.path)
        .sort(),
    ).toEqual(['role', 'tags']);
    const long = await api(t)
      .patch(path)
      .set(bearer(c.owner))
      .send({ tags: ['ok', 'x'.repeat(21), 'ok'] });
    expect(errorBody(long).details?.map((d) => d.path)).toEqual(['tags.1', 'tags.2']);
    expect((await api(t).patch(path).set(bearer(c.owner)).send({})).status).toBe(400);
    // Twenty tags of twenty characters are fine.
    const max = Array.from({ length: 20 }, (_, i) => `${i}`.padStart(20, '签'));
    expect((await api(t).patch(path).set(bearer(c.owner)).send({ tags: max })).status).toBe(200);
    expect((await t.instance.groups.membership(c.group.id, c.openid('amy')))?.tags).toEqual(max);
  });

  it('answers 404 for an unknown memberId', async () => {
    const c = await classroom();
    const res = await api(t).patch(memberPath(c.group.id, '999')).set(bearer(c.owner)).send({ tags: [] });
    expect(res.status).toBe(404);
    expect(errorBody(res).errcode).toBe(40442);
  });

  it('lets only the owner change roles', async () => {
    const c = await classroom();
    const byManager = await api(t)
      .patch(memberPath(c.group.id, c.ids.amy))
      .set(bearer(c.manager))
      .send({ role: 'manager' });
    expect(byManager.status).toBe(403);
    expect(errorBody(byManager).errcode).toBe(40341);
    // The same role as now is no change: a manager may send it back with the tags.
    const same = await api(t)
      .patch(memberPath(c.group.id, c.ids.amy))
      .set(bearer(c.manager))
      .send({ role: 'member', tags: ['a'] });
    expect(same.status).toBe(200);
    const promoted = await api(t)
      .patch(memberPath(c.group.id, c.ids.amy))
      .set(bearer(c.owner))
      .send({ role: 'manager' });
    expect(data<MemberView>(promoted)).toMatchObject({ role: 'manager', tags: ['a'] });
    const demoted = await api(t)
      .patch(memberPath(c.group.id, c.ids.manager))
      .set(bearer(c.owner))
      .send({ role: 'member' });
    expect(data<MemberView>(demoted).role).toBe('member');
    expect((await api(t).get(`/api/groups/${c.group.id}/members`).set(bearer(c.manager))).status).toBe(403);
  });

  it('transfers ownership: the new owner has it, the old one becomes a manager; the owner cannot just step down', async () => {
    const c = await classroom();
    const stepDown = await api(t)
      .patch(memberPath(c.group.id, c.ids.owner))
      .set(bearer(c.owner))
      .send({ role: 'manager' });
    expect(stepDown.status).toBe(409);
    expect(errorBody(stepDown).errcode).toBe(40943);
    const res = await api(t)
      .patch(memberPath(c.group.id, c.ids.ben))
      .set(bearer(c.owner))
      .send({ role: 'owner' });
    expect(res.status).toBe(200);
    expect(data<MemberView>(res).role).toBe('owner');
    const members = await t.instance.groups.members(c.group.id);
    expect(members.filter((m) => m.role === 'owner').map((m) => m.memberId)).toEqual([c.ids.ben]);
    expect(members.find((m) => m.memberId === c.ids.owner)?.role).toBe('manager');
    const k = t.instance.keys;
    expect(await t.redis.zScore(k.userOwnedGroups(c.openid('ben')), c.group.id)).not.toBeNull();
    expect(await t.redis.zScore(k.userOwnedGroups(c.openid('owner')), c.group.id)).toBeNull();
    // Only the new owner can delete it now.
    expect((await api(t).delete(`/api/groups/${c.group.id}`).set(bearer(c.owner))).status).toBe(403);
    expect((await api(t).delete(`/api/groups/${c.group.id}`).set(bearer(c.ben))).status).toBe(200);
  });
});

describe('DELETE /api/groups/:id/members/:memberId', () => {
  it('lets a member leave; the group and their list forget them', async () => {
    const c = await classroom();
    const res = await api(t).delete(memberPath(c.group.id, c.ids.amy)).set(bearer(c.amy));
    expect(res.status).toBe(200);
    expect(data<MemberView>(res).memberId).toBe(c.ids.amy);
    expect(await t.instance.groups.membership(c.group.id, c.openid('amy'))).toBeNull();
    expect((await t.instance.groups.get(c.group.id))?.memberCount).toBe(3);
    const mine = await api(t).get('/api/groups').set(bearer(c.amy));
    expect(data<{ items: GroupView[] }>(mine).items).toEqual([]);
    expect((await api(t).get(`/api/groups/${c.group.id}`).set(bearer(c.amy))).status).toBe(404);
    // Joining again makes a new member.
    const back = await joinGroup(t, c.amy, codeOf(c.group));
    expect(Number(back.me.memberId)).toBeGreaterThan(Number(c.ids.ben));
  });

  it('refuses the owner leaving with 409 until they hand the group over', async () => {
    const c = await classroom();
    const res = await api(t).delete(memberPath(c.group.id, c.ids.owner)).set(bearer(c.owner));
    expect(res.status).toBe(409);
    expect(errorBody(res).errcode).toBe(40943);
    expect((await api(t).delete(memberPath(c.group.id, c.ids.owner)).set(bearer(c.manager))).status).toBe(
      409,
    );
    expect((await t.instance.groups.membership(c.group.id, c.openid('owner')))?.role).toBe('owner');
  });

  it('lets managers remove members, only the owner remove a manager; a member removes nobody else', async () => {
    const c = await classroom();
    const byMember = await api(t).delete(memberPath(c.group.id, c.ids.ben)).set(bearer(c.amy));
    expect(byMember.status).toBe(403);
    expect(errorBody(byMember).errcode).toBe(40340);
    expect((await api(t).delete(memberPath(c.group.id, c.ids.ben)).set(bearer(c.manager))).status).toBe(200);
    await api(t).patch(memberPath(c.group.id, c.ids.amy)).set(bearer(c.owner)).send({ role: 'manager' });
    const managerByManager = await api(t).delete(memberPath(c.group.id, c.ids.amy)).set(bearer(c.manager));
    expect(managerByManager.status).toBe(403);
    expect(errorBody(managerByManager).errcode).toBe(40341);
    expect((await api(t).delete(memberPath(c.group.id, c.ids.amy)).set(bearer(c.owner))).status).toBe(200);
    const left = (await t.instance.groups.members(c.group.id)).map((m) => m.memberId);
    expect(left).toEqual([c.ids.owner, c.ids.manager]);
    expect((await api(t).delete(memberPath(c.group.id, c.ids.owner)).set(bearer(c.stranger))).status).toBe(
      404,
    );
  });
});
