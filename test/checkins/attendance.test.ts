import { TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { TEMPLATE, call, groupWith, openCheckin, people, shownCode, type Person } from './checkin-helpers';

/** GET /api/checkins/:id/stats and POST /api/checkins/:id/remind, through HTTP and the sandbox. */
const env = useSandbox();
let clock: TestClock;
let t: TestInstance;
let owner: Person;
let amy: Person;
let ben: Person;
let cat: Person;
let dan: Person;
let groupId: string;

beforeEach(async () => {
  clock = new TestClock();
  t = await env.start({ now: clock.now, config: { quotaMode: 'enforce' } });
  const openIdFor = (name: string) => env.sandbox.openIdFor(name);
  [owner, amy, ben, cat, dan] = await people(t, ['owner', 'amy', 'ben', 'cat', 'dan'] as const, openIdFor);
  ({ groupId } = await groupWith(t, owner, [
    { who: amy, displayName: '艾米', tags: ['班干部'] },
    { who: ben, displayName: '小本', tags: ['班干部', '学生会'] },
    { who: cat, displayName: '小猫' },
    { who: dan, displayName: '小丹' },
  ]));
});

const sign = async (who: Person, id: string) =>
  call(t)
    .post(`/api/checkins/${id}/sign`)
    .set(who.auth)
    .send({ code: (await shownCode(t, owner, id)).code })
    .expect(200);
const grant = (who: Person) =>
  call(t)
    .post('/api/subscriptions')
    .set(who.auth)
    .send({ results: { [TEMPLATE]: 'accept' } })
    .expect(200);
const remind = (who: Person, id: string) => call(t).post(`/api/checkins/${id}/remind`).set(who.auth).send({});

describe('GET /api/checkins/:id/stats', () => {
  it('counts on time, late and absent (with names), by tag, adding up to the members', async () => {
    const { id } = await openCheckin(t, owner, groupId, { lateAfter: clock.now() + 300_000 });
    await sign(amy, id);
    clock.advance(360_000);
    await sign(ben, id);
    const res = await call(t).get(`/api/checkins/${id}/stats`).set(owner.auth);
    expect(res.status).toBe(200);
    const s = res.body.data;
    expect(s).toMatchObject({ checkinId: id, title: '周一班会', total: 5, onTime: 1, late: 1, absent: 3 });
    expect(s.onTime + s.late + s.absent).toBe(s.total);
    expect(s.signed.map((a: { displayName: string; status: string }) => [a.displayName, a.status])).toEqual([
      ['艾米', 'on_time'],
      ['小本', 'late'],
    ]);
    expect(s.absentMembers.map((a: { displayName: string }) => a.displayName)).toEqual(['', '小猫', '小丹']);
    expect(s.byTag).toEqual([
      { tag: '班干部', total: 2, onTime: 1, late: 1, absent: 0 },
      { tag: '学生会', total: 1, onTime: 0, late: 1, absent: 0 },
    ]);
    expect(JSON.stringify(s)).not.toContain(amy.openid);
  });

  it('is for managers only (403), and signed-in users only (401)', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    expect((await call(t).get(`/api/checkins/${id}/stats`).set(amy.auth)).body.errcode).toBe(40381);
    expect((await call(t).get(`/api/checkins/${id}/stats`)).status).toBe(401);
    expect((await call(t).get('/api/checkins/424242/stats').set(owner.auth)).status).toBe(404);
  });
});

describe('POST /api/checkins/:id/remind', () => {
  it('pushes to the absent who have a grant, once per round', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    await sign(amy, id);
    await grant(amy); // signed in: not reminded, grant or not
    await grant(ben);
    await grant(ben);
    const first = await remind(owner, id);
    expect(first.status).toBe(200);
    // absent: owner, ben, cat, dan; only ben has a grant
    expect(first.body.data).toMatchObject({
      checkinId: id,
      absent: 4,
      reminded: 1,
      alreadyReminded: 0,
      noGrant: 3,
    });
    await waitFor(() => env.sandbox.sent.length === 1);
    const [message] = env.sandbox.sent;
    expect(message).toMatchObject({
      touser: ben.openid,
      template_id: TEMPLATE,
      page: `pages/checkin/sign?id=${id}`,
    });
    expect(message?.data.thing1?.value).toBe('周一班会');

    const again = await remind(owner, id);
    expect(again.body.data).toMatchObject({ reminded: 0, alreadyReminded: 1 });
    clock.advance(10 * 60_000); // the next round
    expect((await remind(owner, id)).body.data).toMatchObject({ reminded: 1, alreadyReminded: 0 });
    await waitFor(() => env.sandbox.sent.length === 2); // positive control: the new round's push arrives
    expect(env.sandbox.sent.map((m) => m.touser)).toEqual([ben.openid, ben.openid]);
  });

  it('refuses members who are not managers (403) and a check-in that has ended (422)', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    expect((await remind(amy, id)).status).toBe(403);
    clock.advance(2 * 3_600_000);
    const ended = await remind(owner, id);
    expect({ status: ended.status, errcode: ended.body.errcode }).toEqual({ status: 422, errcode: 42280 });
  });
});
