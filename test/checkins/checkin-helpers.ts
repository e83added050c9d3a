import request from 'supertest';
import { CODE_PERIOD_MS, codeAt, judgeCode, stepOf } from '../../src/domain/checkin';
import type { CheckinCodeView, CheckinView } from '../../src/http/presenters/checkin';
import { bearer, login, type TestClock, type TestInstance } from '../support/harness';

export const TEMPLATE = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w'; // WX_TEMPLATE_ID, the reminder's

/** Real places in Beijing (WGS-84): the meeting room, and points at known distances from it. */
export const PLACES = {
  room: { lat: 39.9087, lng: 116.3975 }, // 天安门广场
  // 100 m due north: 100 / 111,195 m per degree of latitude
  near: { lat: 39.9087 + 100 / 111_195, lng: 116.3975 },
  // 2 km due east: 2000 / (111,195 × cos 39.9087°) degrees of longitude
  far: { lat: 39.9087, lng: 116.3975 + 2000 / (111_195 * Math.cos((39.9087 * Math.PI) / 180)) },
} as const;

export interface Person {
  name: string;
  openid: string;
  auth: { Authorization: string };
}

let logins = 0;

/** A sandbox user logged in to `t` (a fresh code each time). */
export async function person(
  t: TestInstance,
  name: string,
  openIdFor: (user: string) => string,
): Promise<Person> {
  logins += 1;
  const token = await login(t, `${name}#c${logins}`);
  return { name, openid: openIdFor(name), auth: bearer(token) };
}

/** Several people logged in at once, in the order named. */
export async function people<const N extends readonly string[]>(
  t: TestInstance,
  names: N,
  openIdFor: (user: string) => string,
): Promise<{ [K in keyof N]: Person }> {
  // Promise.all keeps the order and the length of `names`.
  return (await Promise.all(names.map((name) => person(t, name, openIdFor)))) as { [K in keyof N]: Person };
}

export const call = (t: TestInstance) => request(t.instance.app.callback());

/** A group made through the group routes: `owner` creates it, each of `members` joins and names themself. */
export async function groupWith(
  t: TestInstance,
  owner: Person,
  members: { who: Person; displayName: string; tags?: string[] }[],
): Promise<{ groupId: string; memberIds: Map<string, string> }> {
  const created = await call(t).post('/api/groups').set(owner.auth).send({ name: '三年二班' });
  if (created.status !== 201) throw new Error(`group create answered ${created.status} ${created.text}`);
  const groupId = created.body.data.id as string;
  const code = created.body.data.invite.code as string;
  const memberIds = new Map<string, string>([[owner.name, created.body.data.me.memberId as string]]);
  for (const { who, displayName, tags } of members) {
    const joined = await call(t).post('/api/groups/join').set(who.auth).send({ code });
    if (joined.status !== 200 && joined.status !== 201)
      throw new Error(`join answered ${joined.status} ${joined.text}`);
    const memberId = joined.body.data.me.memberId as string;
    memberIds.set(who.name, memberId);
    await call(t).put(`/api/groups/${groupId}/me`).set(who.auth).send({ displayName }).expect(200);
    if (tags) {
      await call(t)
        .patch(`/api/groups/${groupId}/members/${memberId}`)
        .set(owner.auth)
        .send({ tags })
        .expect(200);
    }
  }
  return { groupId, memberIds };
}

/** A check-in open now for an hour (unless `body` says otherwise). */
export async function openCheckin(
  t: TestInstance,
  manager: Person,
  groupId: string,
  body: Record<string, unknown> = {},
): Promise<CheckinView> {
  const now = t.now();
  const res = await call(t)
    .post(`/api/groups/${groupId}/checkins`)
    .set(manager.auth)
    .send({ title: '周一班会', startsAt: now - 60_000, endsAt: now + 3_600_000, ...body });
  if (res.status !== 201) throw new Error(`check-in create answered ${res.status} ${res.text}`);
  return res.body.data as CheckinView;
}

/** The code shown now, as the manager's screen reads it. */
export async function shownCode(t: TestInstance, manager: Person, id: string): Promise<CheckinCodeView> {
  const res = await call(t).get(`/api/checkins/${id}/code?qrcode=false`).set(manager.auth);
  if (res.status !== 200) throw new Error(`code answered ${res.status} ${res.text}`);
  return res.body.data as CheckinCodeView;
}

/** Moves `clock` on to `msIntoStep` ms after the start of a 30-s code step. */
export function alignToStep(clock: TestClock, msIntoStep: number): void {
  const now = clock.now();
  const into = now - stepOf(now) * CODE_PERIOD_MS;
  clock.advance((msIntoStep - into + CODE_PERIOD_MS) % CODE_PERIOD_MS || CODE_PERIOD_MS);
}

/** The check-in's secret, read from Redis as an operator could (the API never shows it). */
export async function secretOf(t: TestInstance, id: string): Promise<string> {
  const secret = await t.redis.hGet(t.instance.keys.checkin(id), 'secret');
  if (!secret) throw new Error(`check-in ${id} has no secret`);
  return secret;
}

/** A 6-digit code that is wrong at `now`: neither this step's nor a recent one. */
export function wrongCodeAt(secret: string, now: number): string {
  for (let n = 0; ; n++) {
    const code = String((123_456 + n * 7919) % 1_000_000).padStart(6, '0');
    if (judgeCode(secret, code, now) === 'wrong') return code;
  }
}

export { codeAt };
