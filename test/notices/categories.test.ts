import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/infra/paths';
import { CategoryConfigError, loadCategories, parseCategories } from '../../src/services/notice-categories';
import { loadTemplates, parseTemplates } from '../../src/wechat/templates';

const CONFIG = path.join(projectRoot(), 'config');
const catalog = loadTemplates(path.join(CONFIG, 'templates.json'));
const NOTICE = 'Nq8TvGroupNoticePublished_tixing-4mWx7KczRe';
const FIELDS = { group: 'thing2', publisher: 'thing3', urgency: 'phrase5' };

function problemsOf(json: unknown, templates = catalog): readonly string[] {
  try {
    parseCategories(json, templates, 'test');
  } catch (err) {
    if (err instanceof CategoryConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config/categories.json', () => {
  it('loads as shipped, every category pushing with a template of config/templates.json', () => {
    const categories = loadCategories(path.join(CONFIG, 'categories.json'), catalog);
    expect([...categories.keys()]).toEqual(['通知', '作业', '活动', '考试']);
    for (const c of categories.values()) expect(catalog.has(c.templateId)).toBe(true);
  });

  it('names a category whose template is not in templates.json, and every other problem at once', () => {
    const problems = problemsOf({
      通知: { templateId: 'nope', fields: FIELDS },
      作业: { templateId: NOTICE, fields: { group: 'thing9', colour: 'thing1' } },
      '  ': { templateId: NOTICE, fields: FIELDS },
    });
    expect(problems).toEqual([
      'category 通知: template nope is not in config/templates.json',
      'category 作业: fields.group must be a key of template Nq8TvGroupNoticePublished_tixing-4mWx7KczRe (thing1, thing2, thing3, time4, phrase5)',
      'category 作业: unknown field role colour (known: group, publisher, urgency)',
      "category   : a name must be 1–10 characters, without ':' or spaces around it",
    ]);
    expect(problemsOf({})).toEqual(['must name at least one category']);
    expect(problemsOf([])).toEqual(['must be a JSON object of category name → { templateId, fields }']);
  });

  it('refuses a template that cannot carry a notice: no title field, or an urgency its field cannot hold', () => {
    const templates = parseTemplates({
      untitled: { thing1: '{{detail}}', time2: '{{fireTime}}' },
      narrow: { thing1: '{{title}}', number2: '1' },
    });
    expect(problemsOf({ 甲: { templateId: 'untitled', fields: {} } }, templates)).toEqual([
      "category 甲: template untitled has no {{title}} field to show the notice's title in",
    ]);
    expect(problemsOf({ 乙: { templateId: 'narrow', fields: { urgency: 'number2' } } }, templates)).toEqual([
      expect.stringMatching(/^category 乙: a notice cannot be pushed: data.number2 must be a number/),
    ]);
  });

  it('reads the file as the instance does at start, failing with every problem in one error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'categories-'));
    const file = path.join(dir, 'categories.json');
    writeFileSync(file, JSON.stringify({ 通知: { templateId: 'gone', fields: {} } }));
    expect(() => loadCategories(file, catalog)).toThrow(
      new CategoryConfigError(file, ['category 通知: template gone is not in config/templates.json']),
    );
    writeFileSync(file, '{"通知": ');
    expect(() => loadCategories(file, catalog)).toThrow(/cannot be read as JSON/);
    // A test's own template catalogue: the categories it cannot push are left out instead.
    expect([
      ...loadCategories(
        path.join(CONFIG, 'categories.json'),
        parseTemplates({ t: { thing1: '{{title}}' } }),
        { skipMissingTemplates: true },
      ).keys(),
    ]).toEqual([]);
  });
});
