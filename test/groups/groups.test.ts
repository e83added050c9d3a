import { api, bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { data, errorBody as body } from '../support/api-types';
import { codeOf, createGroup, groupKeys, joinGroup, type GroupView } from './group-helpers';

const env = useSandbox();
let t: TestInstance;
let owner: string;
let amy: string;
let ben: string;
let stranger: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  owner = await login(t, 'gowner#1');
  amy = await login(t, 'gamy#1');
  ben = await login(t, 'gben#1');
  stranger = await login(t, 'gstranger#1');
});

const k = () => t.instance.keys;
const openid = (name: string) => env.sandbox.openIdFor(name);

describe('POST /api/groups', () => {
  it('creates a group with the caller as owner and an 8-character invite code', async () => {
    const res = await api(t)
      .post('/api/groups')
      .set(bearer(owner))
      .send({ name: ' 三年二班 ', description: '班级' });
    expect(res.status).toBe(201);
    const group = data<GroupView>(res);
    expect(group).toMatchObject({
      name: '三年二班',
      description: '班级',
      memberCount: 1,
      me: { memberId: '1', role: 'owner', tags: [], displayName: '', studentNo: '' },
      invite: {
        code: expect.stringMatching(/^[A-Z2-7]{8}$/),
        path: `pages/group/join?code=${codeOf(group)}`,
      },
    });
    expect(JSON.stringify(res.body)).not.toContain(openid('gowner'));
    expect(await t.redis.get(k().groupInvite(codeOf(group)))).toBe(group.id);
    expect(await t.redis.hGet(k().group(group.id), 'name')).toBe('三年二班');
    expect(await t.redis.zScore(k().userOwnedGroups(openid('gowner')), group.id)).toBe(Number(group.id));
    expect(await t.redis.zScore(k().groupRoster(group.id), openid('gowner'))).toBe(1);
  });

  it('gives every group its own code', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 5; i++) codes.add(codeOf(await createGroup(t, ben, `社团${i}`)));
    expect(codes.size).toBe(5);
  });

  it('answers 400 naming every bad field and stores nothing', async () => {
    const seq = await t.redis.get(k().groupSeq());
    const res = await api(t)
      .post('/api/groups')
      .set(bearer(owner))
      .send({ name: '   ', description: 'x'.repeat(501), extra: 1 });
    expect(res.status).toBe(400);
    expect(
      body(res)
        .details?.map((d) => d.path)
        .sort(),
    ).toEqual(['description', 'extra', 'name']);
    expect(await t.redis.get(k().groupSeq())).toBe(seq);
  });

  it('answers 401 without a session', async () => {
    expect((await api(t).post('/api/groups').send({ name: 'x' })).status).toBe(401);
    expect((await api(t).get('/api/groups')).status).toBe(401);
    expect((await api(t).post('/api/groups/join').send({ code: 'AAAAAAAA' })).status).toBe(401);
  });

  it('refuses a 101st owned group with 409 and leaves no trace of it', async () => {
    const many = await login(t, 'gmany#1');
    await Promise.all(Array.from({ length: 100 }, (_, i) => createGroup(t, many, `g${i}`)));
    const res = await api(t).post('/api/groups').set(bearer(many)).send({ name: 'one more' });
    expect(res.status).toBe(409);
    expect(body(res).errcode).toBe(40940);
    expect(await t.redis.zCard(k().userOwnedGroups(openid('gmany')))).toBe(100);
    expect(await t.redis.zCard(k().userGroups(openid('gmany')))).toBe(100);
  });
});

describe('POST /api/groups/join', () => {
  it('joins as a member (201), and a second join answers the same membership (200)', async () => {
    const group = await createGroup(t, owner);
    const first = await api(t)
      .post('/api/groups/join')
      .set(bearer(amy))
      .send({ code: codeOf(group) });
    expect(first.status).toBe(201);
    const joined = data<GroupView>(first);
    expect(joined).toMatchObject({ id: group.id, memberCount: 2, me: { memberId: '2', role: 'member' } });
    expect(joined.invite).toBeNull(); // members do not see the code
    const again = await api(t)
      .post('/api/groups/join')
      .set(bearer(amy))
      .send({ code: codeOf(group) });
    expect(again.status).toBe(200);
    expect(data<GroupView>(again).me).toEqual(joined.me);
    expect((await t.instance.groups.get(group.id))?.memberCount).toBe(2);
    // The owner "joining" their own group is already its member.
    const own = await api(t)
      .post('/api/groups/join')
      .set(bearer(owner))
      .send({ code: codeOf(group) });
    expect(own.status).toBe(200);
    expect(data<GroupView>(own).me.role).toBe('owner');
  });

  it('takes a code as typed: lower case, spaces, a dash', async () => {
    const group = await createGroup(t, owner);
    const code = codeOf(group);
    const typed = `${code.slice(0, 4).toLowerCase()}-${code.slice(4)} `;
    expect((await joinGroup(t, ben, typed)).id).toBe(group.id);
  });

  it('answers 404 for an unknown code and 400 for none', async () => {
    const unknown = await api(t).post('/api/groups/join').set(bearer(amy)).send({ code: 'ZZZZ2222' });
    expect(unknown.status).toBe(404);
    expect(body(unknown).errcode).toBe(40441);
    const garbage = await api(t).post('/api/groups/join').set(bearer(amy)).send({ code: '不是邀请码' });
    expect(garbage.status).toBe(404);
    const missing = await api(t).post('/api/groups/join').set(bearer(amy)).send({});
    expect(missing.status).toBe(400);
    expect(body(missing).details).toEqual([{ path: 'code', message: 'code is required' }]);
  });
});

describe('GET /api/groups and /api/groups/:id', () => {
  it('lists my groups newest first with my role, paged', async () => {
    const me = await login(t, 'glister#1');
    const a = await createGroup(t, me, 'A');
    const b = await createGroup(t, owner, 'B');
    await joinGroup(t, me, codeOf(b));
    const c = await createGroup(t, me, 'C');
    const first = await api(t).get('/api/groups?limit=2').set(bearer(me));
    expect(first.status).toBe(200);
    const page = data<{ items: GroupView[]; nextCursor: string | null }>(first);
    expect(page.items.map((g) => [g.name, g.me.role])).toEqual([
      ['C', 'owner'],
      ['B', 'member'],
    ]);
    const rest = await api(t).get(`/api/groups?limit=2&cursor=${page.nextCursor}`).set(bearer(me));
    expect(data<{ items: GroupView[] }>(rest).items.map((g) => g.id)).toEqual([a.id]);
    expect(c.id).not.toBe(a.id);
  });

  it('shows a member the group without its code, a manager with it; a stranger gets 404', async () => {
    const group = await createGroup(t, owner);
    await joinGroup(t, amy, codeOf(group));
    const asMember = await api(t).get(`/api/groups/${group.id}`).set(bearer(amy));
    expect(asMember.status).toBe(200);
    expect(data<GroupView>(asMember)).toMatchObject({ memberCount: 2, invite: null, me: { role: 'member' } });
    const asOwner = await api(t).get(`/api/groups/${group.id}`).set(bearer(owner));
    expect(data<GroupView>(asOwner).invite?.code).toBe(codeOf(group));
    const asStranger = await api(t).get(`/api/groups/${group.id}`).set(bearer(stranger));
    expect(asStranger.status).toBe(404);
    expect(body(asStranger).errcode).toBe(40440);
    expect((await api(t).get('/api/groups/98765').set(bearer(amy))).status).toBe(404);
    expect((await api(t).get('/api/groups/abc').set(bearer(amy))).status).toBe(400);
  });
});

describe('PATCH /api/groups/:id', () => {
  it('lets managers rename (PUT too, for wx.request); a member gets 403, a stranger 404', async () => {
    const group = await createGroup(t, owner);
    await joinGroup(t, amy, codeOf(group));
    const renamed = await api(t)
      .patch(`/api/groups/${group.id}`)
      .set(bearer(owner))
      .send({ name: '三年三班' });
    expect(renamed.status).toBe(200);
    expect(data<GroupView>(renamed)).toMatchObject({ name: '三年三班', description: '班级通知' });
    const put = await api(t).put(`/api/groups/${group.id}`).set(bearer(owner)).send({ description: '' });
    expect(data<GroupView>(put)).toMatchObject({ name: '三年三班', description: '' });
    const member = await api(t).patch(`/api/groups/${group.id}`).set(bearer(amy)).send({ name: 'mine' });
    expect(member.status).toBe(403);
    expect(body(member).errcode).toBe(40340);
    expect(
      (await api(t).patch(`/api/groups/${group.id}`).set(bearer(stranger)).send({ name: 'x' })).status,
    ).toBe(404);
    expect((await api(t).patch(`/api/groups/${group.id}`).set(bearer(owner)).send({})).status).toBe(400);
    expect(await t.redis.hGet(k().group(group.id), 'name')).toBe('三年三班');
  });
});

describe('POST /api/groups/:id/invite-code/rotate', () => {
  it('replaces the code: the old one is refused at once, the new one joins', async () => {
    const group = await createGroup(t, owner);
    const old = codeOf(group);
    const res = await api(t).post(`/api/groups/${group.id}/invite-code/rotate`).set(bearer(owner)).send({});
    expect(res.status).toBe(200);
    const fresh = codeOf(data<GroupView>(res));
    expect(fresh).not.toBe(old);
    const refused = await api(t).post('/api/groups/join').set(bearer(amy)).send({ code: old });
    expect(refused.status).toBe(404);
    expect(await t.redis.exists(k().groupInvite(old))).toBe(0);
    expect((await joinGroup(t, amy, fresh)).id).toBe(group.id);
  });

  it('refuses a stale lookup key: the record decides which code works', async () => {
    const group = await createGroup(t, owner);
    const old = codeOf(group);
    await api(t).post(`/api/groups/${group.id}/invite-code/rotate`).set(bearer(owner)).send({});
    await t.redis.set(k().groupInvite(old), group.id); // as if the step deleting it had been lost
    expect((await api(t).post('/api/groups/join').set(bearer(ben)).send({ code: old })).status).toBe(404);
    expect(await t.instance.groups.membership(group.id, openid('gben'))).toBeNull();
  });

  it('is for managers: 403 for a member, 404 for a stranger', async () => {
    const group = await createGroup(t, owner);
    await joinGroup(t, amy, codeOf(group));
    const path = `/api/groups/${group.id}/invite-code/rotate`;
    expect((await api(t).post(path).set(bearer(amy)).send({})).status).toBe(403);
    expect((await api(t).post(path).set(bearer(stranger)).send({})).status).toBe(404);
    expect(await t.redis.hGet(k().group(group.id), 'inviteCode')).toBe(codeOf(group));
  });
});

describe('DELETE /api/groups/:id', () => {
  it('deletes the group, its memberships and its invite code (owner only)', async () => {
    const group = await createGroup(t, owner);
    const code = codeOf(group);
    await joinGroup(t, amy, code);
    await joinGroup(t, ben, code);
    expect(await groupKeys(t, group.id)).toHaveLength(3);
    const asMember = await api(t).delete(`/api/groups/${group.id}`).set(bearer(amy));
    expect(asMember.status).toBe(403);
    expect(body(asMember).errcode).toBe(40341);
    expect((await api(t).delete(`/api/groups/${group.id}`).set(bearer(stranger))).status).toBe(404);

    const res = await api(t).delete(`/api/groups/${group.id}`).set(bearer(owner));
    expect(res.status).toBe(200);
    expect(data(res)).toEqual({ id: group.id, deleted: true });
    expect(await groupKeys(t, group.id)).toEqual([]);
    expect(await t.redis.exists(k().groupInvite(code))).toBe(0);
    for (const name of ['gowner', 'gamy', 'gben']) {
      expect(await t.redis.zScore(k().userGroups(openid(name)), group.id)).toBeNull();
    }
    expect(await t.redis.zScore(k().userOwnedGroups(openid('gowner')), group.id)).toBeNull();
    expect((await api(t).get(`/api/groups/${group.id}`).set(bearer(amy))).status).toBe(404);
    expect((await api(t).post('/api/groups/join').set(bearer(stranger)).send({ code })).status).toBe(404);
  });
});
