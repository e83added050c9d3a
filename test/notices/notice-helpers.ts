import request from 'supertest';
import type {
  InboxPageView,
  NoticeStatsView,
  NoticeView,
  RecipientPageView,
} from '../../src/http/presenters/notice';
import type { GroupView } from '../../src/http/presenters/group';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { data } from '../support/api-types';
import { bearer, login, waitFor, type TestInstance } from '../support/harness';

export const NOTICE_TEMPLATE = 'Nq8TvGroupNoticePublished_tixing-4mWx7KczRe'; // config/categories.json
export const api = (t: TestInstance) => request(t.instance.app.callback());
// Sweeps every 100 ms (notice jobs, notifications); leases stay at their default (30 s): on a
// loaded machine a shorter one runs out mid-send and hands the send to a second claim.
export const QUICK = { sweepIntervalMs: 100, backoffBaseMs: 10 };

/** A logged-in sandbox user. */
export interface Person {
  name: string;
  openid: string;
  auth: { Authorization: string };
}

let logins = 0;

export async function person(t: TestInstance, sandbox: WeChatSandbox, name: string): Promise<Person> {
  const token = await login(t, `${name}#${(logins += 1)}`);
  return { name, openid: sandbox.openIdFor(name), auth: bearer(token) };
}

/** A group created by `owner` through the API: its id and invite code. */
export async function group(
  t: TestInstance,
  owner: Person,
  name: string,
): Promise<{ id: string; code: string }> {
  const res = await api(t).post('/api/groups').set(owner.auth).send({ name });
  expect(res.status).toBe(201);
  const view = data<GroupView>(res);
  return { id: view.id, code: view.invite?.code ?? '' };
}

/** Joins through the API; the member's memberId in the group. */
export async function join(
  t: TestInstance,
  who: Person,
  code: string,
  displayName?: string,
): Promise<string> {
  const res = await api(t).post('/api/groups/join').set(who.auth).send({ code });
  expect([200, 201]).toContain(res.status);
  const view = data<GroupView>(res);
  if (displayName) {
    const named = await api(t).put(`/api/groups/${view.id}/me`).set(who.auth).send({ displayName });
    expect(named.status).toBe(200);
  }
  return view.me.memberId;
}

/**
 * Members who never log in (they only receive): joined through the group service, the same code
 * path as POST /api/groups/join. Their openids.
 */
export async function members(
  t: TestInstance,
  sandbox: WeChatSandbox,
  code: string,
  names: string[],
): Promise<string[]> {
  const openids = names.map((name) => sandbox.openIdFor(name));
  for (const openid of openids) await t.instance.groups.join(openid, code);
  return openids;
}

export async function publish(
  t: TestInstance,
  who: Person,
  body: Record<string, unknown>,
): Promise<NoticeView> {
  const res = await api(t)
    .post('/api/notices')
    .set(who.auth)
    .send({ category: '通知', ...body });
  if (res.status !== 201) throw new Error(`publish answered ${res.status} ${res.text}`);
  return data<NoticeView>(res);
}

export async function stats(t: TestInstance, who: Person, id: string): Promise<NoticeStatsView> {
  const res = await api(t).get(`/api/notices/${id}/stats`).set(who.auth);
  expect(res.status).toBe(200);
  return data<NoticeStatsView>(res);
}

/** Stats once the fan-out is done and no push is in flight. */
export async function settled(t: TestInstance, who: Person, id: string): Promise<NoticeStatsView> {
  return waitFor(
    async () => {
      const s = await stats(t, who, id);
      return s.status === 'published' && s.push.pending === 0 ? s : null;
    },
    { timeoutMs: 20_000, what: `notice ${id} to be published and its pushes answered` },
  );
}

export async function recipients(
  t: TestInstance,
  who: Person,
  id: string,
  query: Record<string, string> = {},
): Promise<RecipientPageView> {
  const res = await api(t)
    .get(`/api/notices/${id}/recipients`)
    .query({ limit: '200', ...query })
    .set(who.auth);
  expect(res.status).toBe(200);
  return data<RecipientPageView>(res);
}

export async function inbox(
  t: TestInstance,
  who: Person,
  query: Record<string, string> = {},
): Promise<InboxPageView> {
  const res = await api(t).get('/api/inbox').query(query).set(who.auth);
  expect(res.status).toBe(200);
  return data<InboxPageView>(res);
}

export async function unreadCount(t: TestInstance, who: Person): Promise<number> {
  const res = await api(t).get('/api/inbox/unread-count').set(who.auth);
  expect(res.status).toBe(200);
  return data<{ unread: number }>(res).unread;
}

/** The sum of a stats answer's states: what `recipients` must equal. */
export function sumOfStates(s: Pick<NoticeStatsView, 'push' | 'read' | 'confirmed'>): number {
  return Object.values(s.push).reduce((a, b) => a + b, 0) + s.read + s.confirmed;
}

/** What the sandbox delivered for notice `id`. */
export function pushesOf(sandbox: WeChatSandbox, id: string) {
  return sandbox.sent.filter((m) => m.page === `pages/notice/detail?id=${id}`);
}
