import type request from 'supertest';
import type { CommentPageView, CommentView, CreatedCommentView } from '../../src/http/presenters/comment';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { data } from '../support/api-types';
import type { TestInstance } from '../support/harness';
import { api, group, join, person, publish, settled, type Person } from '../notices/notice-helpers';

export { api, type Person };
export const REPLY_TEMPLATE = 'Cm4RqNoticeCommentReplied_tixing-7pVx2NwLs'; // config/templates.json

/** A class: its teacher (the owner), two students, a second manager, and someone outside it. */
export interface Class {
  teacher: Person;
  assistant: Person; // a manager of the group too
  amy: Person;
  ben: Person;
  stranger: Person;
  groupId: string;
}

export async function classOf(t: TestInstance, sandbox: WeChatSandbox): Promise<Class> {
  const [teacher, assistant, amy, ben, stranger] = await Promise.all(
    ['teacher', 'assistant', 'amy', 'ben', 'stranger'].map((name) => person(t, sandbox, name)),
  );
  if (!teacher || !assistant || !amy || !ben || !stranger) throw new Error('five people');
  const { id: groupId, code } = await group(t, teacher, '三年二班');
  await join(t, amy, code, '艾米');
  await join(t, ben, code, '小本');
  const assistantId = await join(t, assistant, code, '李老师');
  const promoted = await api(t)
    .patch(`/api/groups/${groupId}/members/${assistantId}`)
    .set(teacher.auth)
    .send({ role: 'manager' });
  expect(promoted.status).toBe(200);
  return { teacher, assistant, amy, ben, stranger, groupId };
}

/** A notice to the class, published and fanned out (its recipients can read it). */
export async function noticeTo(t: TestInstance, c: Class, title = '期末考试安排'): Promise<string> {
  const notice = await publish(t, c.teacher, {
    title,
    body: '周五上午九点',
    audience: { groups: [c.groupId] },
  });
  await settled(t, c.teacher, notice.id);
  return notice.id;
}

export function postComment(
  t: TestInstance,
  who: Person,
  noticeId: string,
  body: Record<string, unknown>,
): Promise<request.Response> {
  return api(t).post(`/api/notices/${noticeId}/comments`).set(who.auth).send(body);
}

export function postReply(
  t: TestInstance,
  who: Person,
  noticeId: string,
  commentId: string,
  body: Record<string, unknown>,
): Promise<request.Response> {
  return api(t).post(`/api/notices/${noticeId}/comments/${commentId}/replies`).set(who.auth).send(body);
}

/** A comment that must be stored: its view. */
export async function comment(
  t: TestInstance,
  who: Person,
  noticeId: string,
  body: Record<string, unknown>,
): Promise<CreatedCommentView> {
  const res = await postComment(t, who, noticeId, body);
  if (res.status !== 201) throw new Error(`comment answered ${res.status} ${res.text}`);
  return data<CreatedCommentView>(res);
}

export async function reply(
  t: TestInstance,
  who: Person,
  noticeId: string,
  commentId: string,
  text: string,
): Promise<CreatedCommentView> {
  const res = await postReply(t, who, noticeId, commentId, { text });
  if (res.status !== 201) throw new Error(`reply answered ${res.status} ${res.text}`);
  return data<CreatedCommentView>(res);
}

type Thread = CommentView & { replies: CommentView[]; moreReplies: boolean };

/** Every comment `who` sees on the notice (all pages), newest first. */
export async function threads(t: TestInstance, who: Person, noticeId: string): Promise<Thread[]> {
  const out: Thread[] = [];
  let cursor: string | null = null;
  do {
    const res: request.Response = await api(t)
      .get(`/api/notices/${noticeId}/comments`)
      .query(cursor ? { cursor } : {})
      .set(who.auth);
    expect(res.status).toBe(200);
    const page: CommentPageView = data<CommentPageView>(res);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** The texts `who` sees, comments and their replies in reading order. */
export async function textsSeenBy(t: TestInstance, who: Person, noticeId: string): Promise<string[]> {
  return (await threads(t, who, noticeId)).flatMap((c) => [c.text, ...c.replies.map((r) => r.text)]);
}

/** Every key and value under the instance's prefix, as one text (to prove a text is stored nowhere). */
export async function everythingStored(t: TestInstance): Promise<string> {
  const parts: string[] = [];
  for await (const batch of t.redis.scanIterator({ MATCH: `${t.instance.keys.prefix}*`, COUNT: 1000 })) {
    for (const key of batch as unknown as string[]) {
      const type = await t.redis.type(key);
      parts.push(key);
      if (type === 'string') parts.push((await t.redis.get(key)) ?? '');
      else if (type === 'hash') parts.push(JSON.stringify(await t.redis.hGetAll(key)));
      else if (type === 'list') parts.push(...(await t.redis.lRange(key, 0, -1)));
      else if (type === 'set') parts.push(...(await t.redis.sMembers(key)));
      else if (type === 'zset') parts.push(...(await t.redis.zRange(key, 0, -1)));
    }
  }
  return parts.join('\n');
}

/** The keys (without the prefix) whose name or content holds `text`. */
export async function keysHolding(t: TestInstance, text: string): Promise<string[]> {
  const prefix = t.instance.keys.prefix;
  const found: string[] = [];
  for await (const batch of t.redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    for (const key of batch as unknown as string[]) {
      const type = await t.redis.type(key);
      let content = key;
      if (type === 'string') content += (await t.redis.get(key)) ?? '';
      else if (type === 'hash') content += JSON.stringify(await t.redis.hGetAll(key));
      else if (type === 'zset') content += (await t.redis.zRange(key, 0, -1)).join('\n');
      else if (type === 'list') content += (await t.redis.lRange(key, 0, -1)).join('\n');
      else if (type === 'set') content += (await t.redis.sMembers(key)).join('\n');
      if (content.includes(text)) found.push(key.slice(prefix.length));
    }
  }
  return found.sort();
}
