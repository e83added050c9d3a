/**
 * Notice categories (`config/categories.json`, docs/architecture.md#notices-to-groups): the names a notice can be filed under,
 * each with the subscribe-message template its push uses and which of that template's keys carry
 * the group's name, the publisher and the urgency. Loaded and checked at start like
 * config/templates.json: a category whose template is not in the catalogue, or whose template
 * cannot carry a notice, stops the start with every problem listed.
 *
 * File shape:
 * `{ "<name>": { "templateId": "<id>", "description"?: "…", "fields": { "group"?: "<key>",
 * "publisher"?: "<key>", "urgency"?: "<key>" } } }`. The notice's title goes where the template's
 * patterns say `{{title}}`, its publication time where they say `{{fireTime}}`, and the group's
 * name also fills `{{detail}}`.
 */
import { readFileSync } from 'node:fs';
import { textProblem } from '../domain/text';
import { URGENCY_TEXT } from '../domain/notice';
import { validateReminderTemplate, type TemplateCatalog } from '../wechat/templates';

/** The roles a template key can play in a notice's push, beside `{{title}}` and `{{fireTime}}`. */
export const NOTICE_FIELD_ROLES = ['group', 'publisher', 'urgency'] as const;
export type NoticeFieldRole = (typeof NOTICE_FIELD_ROLES)[number];

export interface NoticeCategory {
  name: string;
  templateId: string;
  description: string;
  fields: Readonly<Partial<Record<NoticeFieldRole, string>>>; // role → template key
}

/** Category name → category, in the file's order. */
export type CategoryCatalog = ReadonlyMap<string, NoticeCategory>;

export class CategoryConfigError extends Error {
  override readonly name = 'CategoryConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: ${problems.length} problem(s): ${problems.join('; ')}`);
  }
}

const NAME_MAX = 10; // characters of a category name (it is shown on a tab in the mini-program)
// A notice as long as any can be in every role: what each category's template must carry.
const SAMPLE = { title: '通知', group: '一班', publisher: '老师' };

export interface ParseCategoriesOptions {
  /** Leave out categories whose template the catalogue lacks instead of failing (a test's own catalogue). */
  skipMissingTemplates?: boolean;
}

/** Builds the categories from parsed JSON against the template catalogue; `source` names the origin. */
export function parseCategories(
  json: unknown,
  catalog: TemplateCatalog,
  source = 'categories',
  options: ParseCategoriesOptions = {},
): CategoryCatalog {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CategoryConfigError(source, [
      'must be a JSON object of category name → { templateId, fields }',
    ]);
  }
  const problems: string[] = [];
  const categories = new Map<string, NoticeCategory>();
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length === 0) problems.push('must name at least one category');
  for (const [name, spec] of entries) {
    const where = `category ${name}`;
    const nameProblem = textProblem(name, { multiline: false });
    // A name is a segment of the user's inbox keys (README.md#redis-keys): no ':'.
    if (
      nameProblem !== null ||
      name.trim() !== name ||
      name.includes(':') ||
      ![...name].length ||
      [...name].length > NAME_MAX
    ) {
      problems.push(`${where}: a name must be 1–${NAME_MAX} characters, without ':' or spaces around it`);
    }
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      problems.push(`${where} must be an object { templateId, fields }`);
      continue;
    }
    const { templateId, description = '', fields = {} } = spec as Record<string, unknown>;
    if (typeof templateId !== 'string') {
      problems.push(`${where}: templateId must be a string`);
      continue;
    }
    const template = catalog.get(templateId);
    if (!template) {
      if (options.skipMissingTemplates) continue;
      problems.push(`${where}: template ${templateId} is not in config/templates.json`);
      continue;
    }
    if (typeof description !== 'string') problems.push(`${where}: description must be a string`);
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      problems.push(
        `${where}: fields must be an object of role (${NOTICE_FIELD_ROLES.join(', ')}) → template key`,
      );
      continue;
    }
    const keys = new Set(template.fields.map((f) => f.key));
    const roles: Partial<Record<NoticeFieldRole, string>> = {};
    for (const [role, key] of Object.entries(fields as Record<string, unknown>)) {
      if (!(NOTICE_FIELD_ROLES as readonly string[]).includes(role)) {
        problems.push(`${where}: unknown field role ${role} (known: ${NOTICE_FIELD_ROLES.join(', ')})`);
      } else if (typeof key !== 'string' || !keys.has(key)) {
        problems.push(
          `${where}: fields.${role} must be a key of template ${templateId} (${[...keys].join(', ')})`,
        );
      } else if (Object.values(roles).includes(key)) {
        problems.push(`${where}: fields.${role} uses key ${key}, which another role uses already`);
      } else {
        roles[role as NoticeFieldRole] = key;
      }
    }
    if (!template.fields.some((f) => f.placeholders.includes('title'))) {
      problems.push(`${where}: template ${templateId} has no {{title}} field to show the notice's title in`);
    }
    const category: NoticeCategory = { name, templateId, description: String(description), fields: roles };
    // Every urgency must fit, so that no notice is refused for its urgency alone.
    for (const urgency of Object.values(URGENCY_TEXT)) {
      const rendered = validateReminderTemplate(catalog, templateId, {
        title: SAMPLE.title,
        detail: SAMPLE.group,
        fireAt: Date.UTC(2026, 10, 21, 0, 30),
        timezone: 'Asia/Shanghai',
        data: pushData(category, { group: SAMPLE.group, publisher: SAMPLE.publisher, urgency }),
      });
      for (const problem of rendered)
        problems.push(`${where}: a notice cannot be pushed: ${problem.message}`);
      if (rendered.length > 0) break;
    }
    categories.set(name, category);
  }
  if (problems.length > 0) throw new CategoryConfigError(source, problems);
  return categories;
}

/** Reads and checks the categories file; throws CategoryConfigError listing every problem. */
export function loadCategories(
  filePath: string,
  catalog: TemplateCatalog,
  options: ParseCategoriesOptions = {},
): CategoryCatalog {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(filePath, 'utf8'));
  } catch (err) {
    throw new CategoryConfigError(filePath, [`cannot be read as JSON: ${(err as Error).message}`]);
  }
  return parseCategories(json, catalog, filePath, options);
}

/** The template `data` overrides of a notice's push: each role's value under the key the category names. */
export function pushData(
  category: NoticeCategory,
  values: Partial<Record<NoticeFieldRole, string>>,
): Record<string, string> {
  const data: Record<string, string> = {};
  for (const role of NOTICE_FIELD_ROLES) {
    const key = category.fields[role];
    const value = values[role];
    if (key !== undefined && value !== undefined && value !== '') data[key] = value;
  }
  return data;
}
