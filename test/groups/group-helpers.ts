import type { GroupView, MemberPageView, MemberView } from '../../src/http/presenters';
import { api, bearer, type TestInstance } from '../support/harness';
import { data } from '../support/api-types';

export type { GroupView, MemberPageView, MemberView };

/** A group created through the API by `token` (201 expected). */
export async function createGroup(t: TestInstance, token: string, name = '三年二班'): Promise<GroupView> {
  const res = await api(t).post('/api/groups').set(bearer(token)).send({ name, description: '班级通知' });
  if (res.status !== 201) throw new Error(`create answered ${res.status} ${res.text}`);
  return data<GroupView>(res);
}

/** Joins with a code through the API (201 or 200 expected); the caller's view of the group. */
export async function joinGroup(t: TestInstance, token: string, code: string): Promise<GroupView> {
  const res = await api(t).post('/api/groups/join').set(bearer(token)).send({ code });
  if (res.status !== 201 && res.status !== 200) throw new Error(`join answered ${res.status} ${res.text}`);
  return data<GroupView>(res);
}

/** The invite code a manager sees. */
export function codeOf(group: GroupView): string {
  if (!group.invite) throw new Error(`group ${group.id} shows no invite (not a manager's view)`);
  return group.invite.code;
}

/** Every key of a group (its hash tag), for checks of what is stored. */
export async function groupKeys(t: TestInstance, id: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of t.redis.scanIterator({ MATCH: `${t.config.redisPrefix}group:{g${id}}*` })) {
    keys.push(...(batch as unknown as string[]));
  }
  return keys.sort();
}
