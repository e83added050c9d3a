import { TestClock, useSandbox, type TestInstance } from '../support/harness';
import { alignToStep, call, groupWith, openCheckin, people, secretOf, type Person } from './checkin-helpers';

/** Creating a check-in (the title through WeChat's content check), reading it, its code and QR code. */
const env = useSandbox();
let clock: TestClock;
let t: TestInstance;
let owner: Person;
let amy: Person;
let stranger: Person;
let groupId: string;

beforeEach(async () => {
  clock = new TestClock();
  t = await env.start({ now: clock.now });
  const openIdFor = (name: string) => env.sandbox.openIdFor(name);
  [owner, amy, stranger] = await people(t, ['owner', 'amy', 'stranger'] as const, openIdFor);
  ({ groupId } = await groupWith(t, owner, [{ who: amy, displayName: '艾米' }]));
});

const create = (who: Person, body: object, group = groupId) =>
  call(t).post(`/api/groups/${group}/checkins`).set(who.auth).send(body);
const nothingStored = async () => expect(await t.redis.exists(t.instance.keys.checkinSeq())).toBe(0);

describe('POST /api/groups/:id/checkins', () => {
  it('creates a check-in (201) after checking its title with WeChat', async () => {
    const now = clock.now();
    const res = await create(owner, {
      title: ' 周一班会 ',
      startsAt: new Date(now).toISOString(),
      endsAt: now + 3_600_000,
      lateAfter: now + 600_000,
      location: { lat: 39.9087, lng: 116.3975, radiusM: 300 },
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      id: expect.stringMatching(/^\d+$/),
      groupId,
      title: '周一班会',
      titleReview: false,
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      lateAfter: new Date(now + 600_000).toISOString(),
      location: { lat: 39.9087, lng: 116.3975, radiusM: 300 },
      state: 'open',
      scene: `c=${res.body.data.id}`,
      page: 'pages/checkin/sign',
      me: { memberId: '1', role: 'owner', signed: false, status: null, signedAt: null },
      counts: { onTime: 0, late: 0 },
      createdAt: expect.any(String),
    });
    expect(Date.parse(res.body.data.createdAt)).toBeGreaterThanOrEqual(now);
    expect(env.sandbox.secChecks.calls).toEqual([
      expect.objectContaining({ openid: owner.openid, content: '周一班会', scene: 3 }),
    ]);
    expect(res.text).not.toContain(await secretOf(t, res.body.data.id));
  });

  it('answers 400 naming every problem at once, and stores nothing', async () => {
    const now = clock.now();
    const res = await create(owner, {
      title: '',
      startsAt: now + 7_200_000,
      endsAt: now + 3_600_000,
      lateAfter: '2027-02-30T08:00:00+08:00',
      location: { lat: 39.9, lng: 200, radiusM: 5 },
    });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual(
      ['endsAt', 'lateAfter', 'location.lng', 'location.radiusM', 'title'].sort(),
    );
    const times = await create(owner, {
      title: '班会',
      startsAt: now,
      endsAt: now + 25 * 3_600_000,
      lateAfter: now - 1,
    });
    expect(times.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['endsAt', 'lateAfter']);
    const past = await create(owner, { title: '班会', startsAt: now - 7_200_000, endsAt: now - 3_600_000 });
    expect(past.body.details).toEqual([{ path: 'endsAt', message: 'must be in the future' }]);
    expect(env.sandbox.secChecks.attempts).toBe(0); // bad input never reaches WeChat
    await nothingStored();
  });

  it('is for the group’s managers: 403 for a member, 404 for a non-member, 401 without a session', async () => {
    const body = { title: '班会', startsAt: clock.now(), endsAt: clock.now() + 3_600_000 };
    expect((await create(amy, body)).body.errcode).toBe(40340);
    expect((await create(stranger, body)).body.errcode).toBe(40440);
    expect((await call(t).post(`/api/groups/${groupId}/checkins`).send(body)).status).toBe(401);
    await nothingStored();
  });

  it('refuses a title WeChat judges risky (422 naming it) and stores nothing', async () => {
    const res = await create(owner, {
      title: '周末赌博局',
      startsAt: clock.now(),
      endsAt: clock.now() + 3_600_000,
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ errcode: 42270, details: [{ path: 'title' }] });
    await nothingStored();
  });

  it('answers 503 and stores nothing when WeChat cannot check the title', async () => {
    env.sandbox.faults.secCheckBusy = true;
    const res = await create(owner, {
      title: '周一班会',
      startsAt: clock.now(),
      endsAt: clock.now() + 3_600_000,
    });
    expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 503, errcode: 50370 });
    await nothingStored();
  });

  it('keeps a title WeChat holds for review from members, and shows it to managers', async () => {
    const created = await openCheckin(t, owner, groupId, { title: '代购交流会' });
    expect(created).toMatchObject({ title: '代购交流会', titleReview: true });
    const asMember = await call(t).get(`/api/checkins/${created.id}`).set(amy.auth);
    expect(asMember.body.data).toMatchObject({ title: '会议签到', titleReview: true, counts: null });
    expect(asMember.text).not.toContain('代购');
    const asManager = await call(t).get(`/api/checkins/${created.id}`).set(owner.auth);
    expect(asManager.body.data.title).toBe('代购交流会');
  });
});

describe('GET /api/checkins/:id and /code', () => {
  it('shows the check-in to members (403 to others, 404 for none)', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    const res = await call(t).get(`/api/checkins/${id}`).set(amy.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      id,
      title: '周一班会',
      state: 'open',
      me: { role: 'member', signed: false },
    });
    expect((await call(t).get(`/api/checkins/${id}`).set(stranger.auth)).body.errcode).toBe(40380);
    expect((await call(t).get('/api/checkins/777777').set(amy.auth)).body.errcode).toBe(40480);
    expect((await call(t).get('/api/checkins/abc').set(amy.auth)).status).toBe(400);
  });

  it('gives managers a 6-digit code that rotates every 30 s, and one QR code naming the check-in', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    alignToStep(clock, 10_000); // mid-step: the reads below stay in their steps on a slow machine
    const res = await call(t).get(`/api/checkins/${id}/code`).set(owner.auth);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const shown = res.body.data;
    expect(shown).toMatchObject({
      checkinId: id,
      code: expect.stringMatching(/^\d{6}$/),
      periodSeconds: 30,
      graceSeconds: 10,
    });
    expect(shown.qrcode).toEqual({
      scene: `c=${id}`,
      page: 'pages/checkin/sign',
      image: expect.stringMatching(/^data:image\/png;base64,/),
    });
    const png = Buffer.from(shown.qrcode.image.split(',')[1], 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(env.sandbox.wxacodes.calls).toEqual([
      expect.objectContaining({ scene: `c=${id}`, page: 'pages/checkin/sign' }),
    ]);

    clock.advance(30_000);
    const next = (await call(t).get(`/api/checkins/${id}/code`).set(owner.auth)).body.data;
    expect(next.code).not.toBe(shown.code);
    expect(Date.parse(next.rotatesAt) - Date.parse(shown.rotatesAt)).toBe(30_000);
    expect(next.qrcode.image).toBe(shown.qrcode.image);
    expect(env.sandbox.wxacodes.calls).toHaveLength(1); // the QR code is made once, then cached
    const bare = await call(t).get(`/api/checkins/${id}/code?qrcode=false`).set(owner.auth);
    expect(bare.body.data.qrcode).toBeNull();
    expect((await call(t).get(`/api/checkins/${id}/code`).set(amy.auth)).body.errcode).toBe(40381);
  });

  it('still gives the code when WeChat does not make the QR code', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    env.sandbox.faults.quotaExceeded = true; // getwxacodeunlimit answers 45009
    const res = await call(t).get(`/api/checkins/${id}/code`).set(owner.auth);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ code: expect.stringMatching(/^\d{6}$/), qrcode: null });
    env.sandbox.faults.quotaExceeded = false;
    expect((await call(t).get(`/api/checkins/${id}/code`).set(owner.auth)).body.data.qrcode).not.toBeNull();
  });
});
