import { DateTime } from 'luxon';
import request from 'supertest';
import { DEFAULT_PROMISE_TEMPLATE_ID } from '../../src/config';
import type { PromiseView } from '../../src/http/presenters/promise';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { data } from '../support/api-types';
import { bearer, login, type TestClock, type TestInstance } from '../support/harness';

export const REMINDER_TEMPLATE = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w'; // WX_TEMPLATE_ID
export const PROMISE_TEMPLATE = DEFAULT_PROMISE_TEMPLATE_ID; // WX_PROMISE_TEMPLATE_ID
// Timers found only by sweeps (horizon 0) so that the test clock, not real time, decides what is
// due; passes every 100 ms.
export const CLOCKED = { horizonMs: 0, sweepIntervalMs: 100, promiseEvaluationIntervalMs: 100 };

export const api = (t: TestInstance) => request(t.instance.app.callback());

/** A logged-in sandbox user: their token and openid. */
export interface Person {
  name: string;
  token: string;
  openid: string;
  auth: { Authorization: string };
}

let logins = 0;

export async function person(t: TestInstance, sandbox: WeChatSandbox, name: string): Promise<Person> {
  const token = await login(t, `${name}#${(logins += 1)}`);
  return { name, token, openid: sandbox.openIdFor(name), auth: bearer(token) };
}

/** Reports `times` accepts of `templateId` (QUOTA_MODE=enforce: one grant each). */
export async function grant(t: TestInstance, who: Person, templateId: string, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await api(t)
      .post('/api/subscriptions')
      .set(who.auth)
      .send({ results: { [templateId]: 'accept' } });
    expect(res.status).toBe(200);
  }
}

export async function create(
  t: TestInstance,
  who: Person,
  type: 'give' | 'ask',
  body: Record<string, unknown>,
): Promise<PromiseView> {
  const res = await api(t).post(`/api/promises/${type}`).set(who.auth).send(body);
  expect(res.status).toBe(201);
  return data<PromiseView>(res);
}

export async function accept(t: TestInstance, who: Person, code: string): Promise<PromiseView> {
  const res = await api(t).post(`/api/promises/invites/${code}/accept`).set(who.auth).send({});
  expect(res.status).toBe(200);
  return data<PromiseView>(res);
}

export async function view(t: TestInstance, who: Person, id: string): Promise<PromiseView> {
  const res = await api(t).get(`/api/promises/${id}`).set(who.auth);
  expect(res.status).toBe(200);
  return data<PromiseView>(res);
}

/** What the sandbox delivered to `who` with `templateId`. */
export function messagesTo(sandbox: WeChatSandbox, who: Person, templateId: string) {
  return sandbox.sent.filter((m) => m.touser === who.openid && m.template_id === templateId);
}

/** The promise template's state field (已兑现, 未兑现, 已结束) of each message to `who`. */
export function statesTo(sandbox: WeChatSandbox, who: Person): string[] {
  return messagesTo(sandbox, who, PROMISE_TEMPLATE).map((m) => m.data.phrase4?.value ?? '');
}

/**
 * Moves `clock` so that its now is `secondsBefore` seconds before a minute starts, and returns
 * that minute's hour and min in `zone`: a daily promise at that time is due `secondsBefore` s ahead.
 */
export function minuteAhead(
  clock: TestClock,
  zone: string,
  secondsBefore = 2,
): { hour: number; min: number } {
  const now = clock.now();
  const toNextMinute = 60_000 - (now % 60_000);
  clock.advance(toNextMinute - secondsBefore * 1000 + (toNextMinute < secondsBefore * 1000 ? 60_000 : 0));
  const slot = DateTime.fromMillis(clock.now() + secondsBefore * 1000, { zone });
  return { hour: slot.hour, min: slot.minute };
}

/** Moves `clock` to `ms` past the end of `day` in `zone`. */
export function toEndOf(clock: TestClock, day: string, zone: string, ms = 1000): void {
  const end = DateTime.fromISO(day, { zone }).plus({ days: 1 }).startOf('day').toMillis();
  clock.advance(end + ms - clock.now());
}

/** Moves `clock` forward to the next `hour`:00 UTC, away from any calendar day's edge. */
export function toUtcHour(clock: TestClock, hour: number): void {
  const now = DateTime.fromMillis(clock.now(), { zone: 'UTC' });
  let at = now.set({ hour, minute: 0, second: 0, millisecond: 0 });
  if (at <= now) at = at.plus({ days: 1 });
  clock.advance(at.toMillis() - clock.now());
}
