/**
 * A notice's push (docs/architecture.md#notices-to-groups): one subscribe message per recipient, of the template of the notice's
 * category (config/categories.json), rendered from the notice — its title in the `{{title}}`
 * field, the recipient's group, the publisher, the publication time in `{{fireTime}}`, the urgency
 * — and opening `pages/notice/detail?id=<id>`. What the publisher typed (the title) must fit its
 * field or the notice is refused at create; what comes from elsewhere (a group's name of up to 40
 * characters, a display name) is shortened to fit its field, since the publisher cannot fix it in
 * the notice.
 */
import { noticePage, URGENCY_TEXT, type Notice } from '../domain/notice';
import { fieldRuleViolation } from '../wechat/field-rules';
import { validateReminderTemplate, type TemplateCatalog } from '../wechat/templates';
import { pushData, type NoticeCategory, type NoticeFieldRole } from './notice-categories';
import type { NotificationContent } from './notification-service';

const ELLIPSIS = '…';

/** `value` as it fits template key `key`: itself, else its longest prefix + … that fits, else '' (the template's default). */
export function fitted(key: string | undefined, value: string): string {
  if (key === undefined || value === '' || fieldRuleViolation(key, value) === null) return value;
  const chars = [...value];
  for (let n = chars.length - 1; n > 0; n--) {
    const shorter = chars.slice(0, n).join('').trimEnd() + ELLIPSIS;
    if (fieldRuleViolation(key, shorter) === null) return shorter;
  }
  return '';
}

type PushedNotice = Pick<Notice, 'id' | 'title' | 'publisher' | 'urgency' | 'groupNames'>;

/** The values a push to a member of `groupId` is rendered from. */
function values(notice: PushedNotice, category: NoticeCategory, groupId: string) {
  const group = fitted(category.fields.group, notice.groupNames[groupId] ?? '');
  const roles: Partial<Record<NoticeFieldRole, string>> = {
    group,
    publisher: fitted(category.fields.publisher, notice.publisher),
    urgency: URGENCY_TEXT[notice.urgency],
  };
  // {{detail}} shows the group too; an empty one renders as the catalogue's 无.
  return { title: notice.title, detail: group, data: pushData(category, roles) };
}

/**
 * What the push of `notice` says to the members of `groupId` (the recipient's first audience
 * group): the same for all of them, so a fan-out renders and checks it once per group.
 */
export function noticePushContent(
  notice: PushedNotice & { publishedAt: number },
  category: NoticeCategory,
  groupId: string,
  options: { timezone: string },
): NotificationContent {
  const { title, detail, data } = values(notice, category, groupId);
  return {
    templateId: category.templateId,
    page: noticePage(notice.id),
    title,
    detail,
    timezone: options.timezone,
    fireAt: notice.publishedAt,
    data,
    source: `notice:${notice.id}`,
  };
}

/**
 * What the push of `notice` would break, for each of its groups, as `{path, message}` naming the
 * notice's field: `title`, or — should a derived value still not fit — `audience.groups`,
 * `publisher`, `urgency`.
 */
export function pushProblems(
  catalog: TemplateCatalog,
  notice: PushedNotice & { publishAt: number; audience: { groups: string[] } },
  category: NoticeCategory,
  timezone: string,
): { path: string; message: string }[] {
  const roleOfKey = new Map(Object.entries(category.fields).map(([role, key]) => [`data.${key}`, role]));
  const paths: Record<string, string> = {
    group: 'audience.groups',
    publisher: 'publisher',
    urgency: 'urgency',
  };
  const found = new Map<string, { path: string; message: string }>();
  for (const groupId of notice.audience.groups) {
    const { title, detail, data } = values(notice, category, groupId);
    const problems = validateReminderTemplate(catalog, category.templateId, {
      title,
      detail,
      fireAt: notice.publishAt,
      timezone,
      data,
    });
    for (const problem of problems) {
      const role = roleOfKey.get(problem.path);
      const path = role
        ? (paths[role] ?? problem.path)
        : problem.path === 'detail'
          ? 'audience.groups'
          : problem.path;
      const message = path === problem.path ? problem.message : `${path}: ${problem.message}`;
      if (!found.has(path))
        found.set(path, { path, message: `${message} (in the push of category ${category.name})` });
    }
  }
  return [...found.values()];
}
