import { TestClock, useSandbox, type TestInstance } from '../support/harness';
import {
  PLACES,
  alignToStep,
  call,
  groupWith,
  openCheckin,
  people,
  person,
  secretOf,
  shownCode,
  wrongCodeAt,
  type Person,
} from './checkin-helpers';

/** POST /api/checkins/:id/sign through HTTP: the code's rotation, the window, the fence, the brakes. */
const env = useSandbox();
let clock: TestClock;
let t: TestInstance;
let owner: Person;
let amy: Person;
let ben: Person;
let cat: Person;
let groupId: string;

beforeEach(async () => {
  clock = new TestClock();
  t = await env.start({ now: clock.now });
  const openIdFor = (name: string) => env.sandbox.openIdFor(name);
  [owner, amy, ben, cat] = await people(t, ['owner', 'amy', 'ben', 'cat'] as const, openIdFor);
  ({ groupId } = await groupWith(t, owner, [
    { who: amy, displayName: '艾米' },
    { who: ben, displayName: '小本' },
    { who: cat, displayName: '小猫' },
  ]));
});

const sign = (who: Person, id: string, body: object) =>
  call(t).post(`/api/checkins/${id}/sign`).set(who.auth).send(body);

describe('POST /api/checkins/:id/sign: the code', () => {
  it('accepts a code shown 35 s ago and refuses one shown 45 s ago', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    alignToStep(clock, 2000); // the screen read the code 2 s into its 30-s step
    const early = await shownCode(t, owner, id);
    clock.advance(35_000); // 7 s into the next step: the previous code still counts
    const accepted = await sign(amy, id, { code: early.code });
    expect(accepted.status).toBe(200);
    expect(accepted.body.data).toMatchObject({ checkinId: id, status: 'on_time', distanceM: null });

    alignToStep(clock, 2000);
    const shown = await shownCode(t, owner, id);
    clock.advance(45_000); // 17 s into the next step: 7 s past the grace
    const refused = await sign(ben, id, { code: shown.code });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ errcode: 40081, details: [{ path: 'code' }] });
    // positive control: the code shown now works for the same member
    expect((await sign(ben, id, { code: (await shownCode(t, owner, id)).code })).status).toBe(200);
  });

  it('keeps the previous code for 10 s after it rotates, not longer', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    alignToStep(clock, 27_000); // 3 s before the rotation (room for a slow machine)
    const first = await shownCode(t, owner, id);
    expect(Date.parse(first.acceptedUntil) - Date.parse(first.rotatesAt)).toBe(10_000);
    clock.advance(12_500); // 9.5 s after the rotation
    expect((await sign(amy, id, { code: first.code })).status).toBe(200);
    alignToStep(clock, 27_000);
    const second = await shownCode(t, owner, id);
    clock.advance(13_500); // 10.5 s after
    expect((await sign(ben, id, { code: second.code })).body.errcode).toBe(40081);
  });

  it('locks a member out after 5 wrong codes in a minute (429); a right code before the 5th still counts', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    const secret = await secretOf(t, id);
    const wrong = () => wrongCodeAt(secret, clock.now());
    for (let i = 1; i <= 4; i++) {
      const res = await sign(amy, id, { code: wrong() });
      expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status: 400, errcode: 40080 });
    }
    expect((await sign(amy, id, { code: (await shownCode(t, owner, id)).code })).status).toBe(200); // positive control

    for (let i = 1; i <= 4; i++) expect((await sign(ben, id, { code: wrong() })).status).toBe(400);
    const fifth = await sign(ben, id, { code: wrong() });
    expect({ status: fifth.status, errcode: fifth.body.errcode }).toEqual({ status: 429, errcode: 42980 });
    const locked = await sign(ben, id, { code: (await shownCode(t, owner, id)).code });
    expect({ status: locked.status, errcode: locked.body.errcode }).toEqual({ status: 429, errcode: 42980 });
    expect(locked.body.errmsg).toMatch(/try again in \d+ s/);
    // more wrong tries while locked are refused without being counted: the brake's memory is bounded
    for (let i = 0; i < 3; i++) expect((await sign(ben, id, { code: wrong() })).status).toBe(429);
    expect(await t.redis.zCard(t.instance.keys.checkinWrongCodes(id, ben.openid))).toBe(5);
    // Another member is not locked by ben's tries…
    expect((await sign(cat, id, { code: (await shownCode(t, owner, id)).code })).status).toBe(200);
    // …and ben may try again once the minute has passed.
    clock.advance(61_000);
    const later = await sign(ben, id, { code: (await shownCode(t, owner, id)).code });
    expect(later.status).toBe(200);
  });

  it('answers 400 for a code that is not 6 digits, naming the field, and counts nothing', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    const res = await sign(amy, id, { code: '12ab', location: { lat: 91, lng: 0 } });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['code', 'location.lat']);
    expect(await t.redis.exists(t.instance.keys.checkinWrongCodes(id, amy.openid))).toBe(0);
    expect((await call(t).post(`/api/checkins/${id}/sign`).send({ code: '123456' })).status).toBe(401);
  });
});

describe('POST /api/checkins/:id/sign: who and when', () => {
  it('refuses a non-member with 403 and an unknown check-in with 404', async () => {
    const stranger = await person(t, 'stranger', (n) => env.sandbox.openIdFor(n));
    const { id } = await openCheckin(t, owner, groupId);
    const { code } = await shownCode(t, owner, id);
    expect((await sign(stranger, id, { code })).body.errcode).toBe(40380);
    expect((await sign(stranger, id, { code })).status).toBe(403);
    expect((await sign(amy, '999999', { code })).status).toBe(404);
    expect((await sign(amy, id, { code })).status).toBe(200); // positive control
  });

  it('signs a member in once: a second try is 409, with a right code or a wrong one', async () => {
    const { id } = await openCheckin(t, owner, groupId);
    expect((await sign(amy, id, { code: (await shownCode(t, owner, id)).code })).status).toBe(200);
    const again = await sign(amy, id, { code: (await shownCode(t, owner, id)).code });
    expect({ status: again.status, errcode: again.body.errcode }).toEqual({ status: 409, errcode: 40980 });
    const wrong = await sign(amy, id, { code: wrongCodeAt(await secretOf(t, id), clock.now()) });
    expect(wrong.status).toBe(409);
    const view = await call(t).get(`/api/checkins/${id}`).set(amy.auth);
    expect(view.body.data.me).toMatchObject({ signed: true, status: 'on_time' });
    expect(await t.redis.hGet(t.instance.keys.checkin(id), 'onTime')).toBe('1');
  });

  it('refuses signing before the window opens and after it closes (422)', async () => {
    const now = clock.now();
    const { id } = await openCheckin(t, owner, groupId, { startsAt: now + 600_000, endsAt: now + 1_200_000 });
    const early = await sign(amy, id, { code: (await shownCode(t, owner, id)).code });
    expect({ status: early.status, errcode: early.body.errcode }).toEqual({ status: 422, errcode: 42280 });
    clock.advance(600_001);
    expect((await sign(amy, id, { code: (await shownCode(t, owner, id)).code })).status).toBe(200);
    clock.advance(600_000);
    const late = await sign(ben, id, { code: (await shownCode(t, owner, id)).code });
    expect({ status: late.status, errcode: late.body.errcode }).toEqual({ status: 422, errcode: 42280 });
  });

  it('marks a sign-in after lateAfter late', async () => {
    const now = clock.now();
    const { id } = await openCheckin(t, owner, groupId, { lateAfter: now + 300_000 });
    expect((await sign(amy, id, { code: (await shownCode(t, owner, id)).code })).body.data.status).toBe(
      'on_time',
    );
    clock.advance(360_000);
    expect((await sign(ben, id, { code: (await shownCode(t, owner, id)).code })).body.data.status).toBe(
      'late',
    );
    const counts = await t.redis.hmGet(t.instance.keys.checkin(id), ['onTime', 'late']);
    expect(counts).toEqual(['1', '1']);
  });
});

describe('POST /api/checkins/:id/sign: the geofence', () => {
  it('refuses a member 2 km away from a 300 m fence and accepts one 100 m away', async () => {
    const { id } = await openCheckin(t, owner, groupId, { location: { ...PLACES.room, radiusM: 300 } });
    const far = await sign(amy, id, { code: (await shownCode(t, owner, id)).code, location: PLACES.far });
    expect({ status: far.status, errcode: far.body.errcode }).toEqual({ status: 422, errcode: 42281 });
    expect(far.body.errmsg).toMatch(/you are 2000 m from the meeting place; sign in within 300 m/);
    const near = await sign(ben, id, { code: (await shownCode(t, owner, id)).code, location: PLACES.near });
    expect(near.status).toBe(200);
    expect(near.body.data.distanceM).toBe(100);
    // the refusal stored nothing: amy can still sign in from the room
    expect(
      (await sign(amy, id, { code: (await shownCode(t, owner, id)).code, location: PLACES.room })).status,
    ).toBe(200);
  });

  it('needs a location for a fenced check-in (400) and widens the fence by the reported accuracy, at most 100 m', async () => {
    const { id } = await openCheckin(t, owner, groupId, { location: { ...PLACES.room, radiusM: 300 } });
    const missing = await sign(amy, id, { code: (await shownCode(t, owner, id)).code });
    expect(missing.status).toBe(400);
    expect(missing.body.details).toEqual([expect.objectContaining({ path: 'location' })]);
    const at350 = { lat: PLACES.room.lat + 350 / 111_195, lng: PLACES.room.lng };
    const blunt = await sign(amy, id, {
      code: (await shownCode(t, owner, id)).code,
      location: { ...at350, accuracy: 1000 },
    });
    expect(blunt.status).toBe(200); // 350 m ≤ 300 + min(1000, 100)
    expect(
      (await sign(ben, id, { code: (await shownCode(t, owner, id)).code, location: at350 })).status,
    ).toBe(422);
  });
});
