/**
 * The rules of a notice only the service can check (docs/architecture.md#notices-to-groups), merged with the route's shape
 * problems into one 400 (docs/architecture.md#input-rules): who may address the audience (403),
 * its members, the category, `publishAt`, and what the push makes of it under the field rules.
 */
import { parseIsoInstant } from '../domain/instant';
import { URGENCIES, type Attachment, type Notice, type NoticeAudience, type Urgency } from '../domain/notice';
import { invalidRequest, noticeAudienceForbidden, type ErrorDetail } from '../errors';
import type { TemplateCatalog } from '../wechat/templates';
import type { GroupService, Member } from './group-service';
import type { CategoryCatalog } from './notice-categories';
import { pushProblems } from './notice-push';
import type { Shape } from './reminder-rules';

const MAX_AHEAD_MS = 366 * 86_400_000; // a notice is scheduled at most this far ahead

/** What a notice feature asks of groups (src/services/group-service.ts). */
export type NoticeGroups = Pick<GroupService, 'membership' | 'get' | 'members' | 'membersById' | 'isManager'>;

/** A notice as the client writes it (POST /api/notices; PATCH sends any part of it). */
export interface NoticeInput {
  title: string;
  body: string;
  category: string;
  urgency: Urgency;
  audience: { groups: string[]; tags?: string[]; members?: string[] };
  attachments: Attachment[];
  requireConfirm: boolean;
  publishAt?: number | string; // epoch ms or ISO 8601 with an offset; absent: now
}

/** What a create or an edit writes, once every rule holds. */
export type NoticeContent = Pick<
  Notice,
  | 'publisher'
  | 'title'
  | 'body'
  | 'category'
  | 'urgency'
  | 'audience'
  | 'groupNames'
  | 'attachments'
  | 'requireConfirm'
  | 'publishAt'
>;

export interface NoticeRuleContext {
  groups: NoticeGroups;
  categories: CategoryCatalog;
  catalog: TemplateCatalog;
  timezone: string; // DEFAULT_TIMEZONE: the zone the push shows the publication time in
  now: number;
}

/**
 * The notice `input` makes (over `base` for an edit), or a 403 when the caller does not manage
 * every group it addresses, or one 400 naming every problem.
 */
export async function checkNotice(
  openid: string,
  input: Partial<NoticeInput>,
  shape: Shape,
  ctx: NoticeRuleContext,
  base?: NoticeContent,
): Promise<NoticeContent> {
  const { invalid } = shape;
  const problems: ErrorDetail[] = [...shape.problems];
  const need = <K extends keyof NoticeInput>(
    field: K,
    fallback?: NoticeInput[K],
  ): NoticeInput[K] | undefined => {
    if (invalid.has(field)) return undefined;
    const value = input[field] ?? fallback;
    if (value === undefined) problems.push({ path: field, message: `${field} is required` });
    return value;
  };
  const title = need('title', base?.title);
  const category = need('category', base?.category);
  const urgency = input.urgency ?? base?.urgency ?? 'normal';
  const audience = need('audience', base?.audience);

  let publishAt = ctx.now;
  if (!invalid.has('publishAt') && input.publishAt !== undefined) {
    const parsed =
      typeof input.publishAt === 'number' ? { ms: input.publishAt } : parseIsoInstant(input.publishAt);
    if (!('ms' in parsed)) problems.push({ path: 'publishAt', message: parsed.problem });
    else if (parsed.ms <= ctx.now) problems.push({ path: 'publishAt', message: 'must be in the future' });
    else if (parsed.ms > ctx.now + MAX_AHEAD_MS)
      problems.push({ path: 'publishAt', message: 'must be at most 366 days ahead' });
    else publishAt = parsed.ms;
  } else if (base && input.publishAt === undefined) {
    publishAt = base.publishAt;
  }
  const chosen = category === undefined ? undefined : ctx.categories.get(category);
  if (category !== undefined && !chosen) {
    problems.push({
      path: 'category',
      message: `must be one of the categories: ${[...ctx.categories.keys()].join(', ')}`,
    });
  }

  let resolved: { audience: NoticeAudience; groupNames: Record<string, string>; publisher: string } | null =
    null;
  if (audience) resolved = await checkAudience(openid, audience, ctx.groups, problems);

  if (title !== undefined && chosen && resolved && (URGENCIES as readonly string[]).includes(urgency)) {
    problems.push(
      ...pushProblems(
        ctx.catalog,
        {
          id: '0',
          title,
          urgency,
          publisher: resolved.publisher,
          groupNames: resolved.groupNames,
          publishAt,
          audience: resolved.audience,
        },
        chosen,
        ctx.timezone,
      ),
    );
  }
  if (problems.length > 0 || title === undefined || category === undefined || !resolved) {
    throw invalidRequest(problems);
  }
  return {
    publisher: resolved.publisher,
    title,
    body: input.body ?? base?.body ?? '',
    category,
    urgency,
    audience: resolved.audience,
    groupNames: resolved.groupNames,
    attachments: input.attachments ?? base?.attachments ?? [],
    requireConfirm: input.requireConfirm ?? base?.requireConfirm ?? false,
    publishAt,
  };
}

/**
 * The audience as stored (members written `<groupId>:<memberId>`), the groups' names and the name
 * the caller publishes under; a 403 when a group is not the caller's to address (not a manager
 * there, or no such group).
 */
async function checkAudience(
  openid: string,
  audience: NoticeInput['audience'],
  groups: NoticeGroups,
  problems: ErrorDetail[],
): Promise<{ audience: NoticeAudience; groupNames: Record<string, string>; publisher: string }> {
  const groupIds = [...new Set(audience.groups)];
  const [memberships, records] = await Promise.all([
    Promise.all(groupIds.map((id) => groups.membership(id, openid))),
    Promise.all(groupIds.map((id) => groups.get(id))),
  ]);
  const forbidden = groupIds.filter((id, i) => !groups.isManager(memberships[i] ?? null) || !records[i]);
  if (forbidden.length > 0) throw noticeAudienceForbidden(forbidden);
  const groupNames = Object.fromEntries(groupIds.map((id, i) => [id, records[i]?.name ?? '']));
  const mine = memberships.filter((m): m is Member => m !== null);
  const publisher = mine.find((m) => m.displayName !== '')?.displayName ?? '';

  // A member is named within a group: `<groupId>:<memberId>`, or a bare memberId when one group is addressed.
  const wanted = new Map<string, { index: number; memberId: string }[]>();
  const members: string[] = [];
  (audience.members ?? []).forEach((entry, index) => {
    const path = `audience.members.${index}`;
    const [groupId, memberId] = entry.includes(':')
      ? entry.split(':', 2)
      : [groupIds.length === 1 ? groupIds[0] : undefined, entry];
    if (groupId === undefined || memberId === undefined) {
      problems.push({ path, message: 'must be <groupId>:<memberId> when the audience has several groups' });
    } else if (!groupIds.includes(groupId)) {
      problems.push({ path, message: `names group ${groupId}, which is not in audience.groups` });
    } else {
      const list = wanted.get(groupId) ?? [];
      list.push({ index, memberId });
      wanted.set(groupId, list);
      members.push(`${groupId}:${memberId}`);
    }
  });
  await Promise.all(
    [...wanted].map(async ([groupId, list]) => {
      const found = new Set(
        (
          await groups.membersById(
            groupId,
            list.map((w) => w.memberId),
          )
        ).map((m) => m.memberId),
      );
      for (const w of list) {
        if (!found.has(w.memberId)) {
          problems.push({
            path: `audience.members.${w.index}`,
            message: `group ${groupId} has no member ${w.memberId}`,
          });
        }
      }
    }),
  );
  return {
    audience: { groups: groupIds, tags: [...new Set(audience.tags ?? [])], members: [...new Set(members)] },
    groupNames,
    publisher,
  };
}
