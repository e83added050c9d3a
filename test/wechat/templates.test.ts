import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import {
  EMPTY_DETAIL_FALLBACK,
  formatFireTime,
  loadTemplates,
  parseTemplates,
  renderTemplateData,
  TemplateConfigError,
  TemplateRenderError,
  UnknownTemplateError,
  validateReminderTemplate,
  type TemplateCatalog,
  type TemplateVars,
} from '../../src/wechat/templates';

const DEFAULT_ID = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
const CONFIG = path.join(__dirname, '../../config/templates.json');
// 2026-11-21 00:30 UTC: 08:30 in Shanghai, 19:30 the evening before in New York (EST, no DST).
const FIRE_AT = Date.UTC(2026, 10, 21, 0, 30);

const vars = (over: Partial<TemplateVars> = {}): TemplateVars => ({
  title: '喝水',
  detail: '一杯温水',
  fireAt: FIRE_AT,
  timezone: 'Asia/Shanghai',
  ...over,
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tixing-templates-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(content: unknown): string {
  const file = path.join(dir, `t${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('loadTemplates', () => {
  it('loads the shipped config/templates.json', () => {
    const catalog = loadTemplates(CONFIG);
    const template = catalog.get(DEFAULT_ID);
    expect(template?.fields.map((f) => [f.key, f.type, f.placeholders])).toEqual([
      ['thing1', 'thing', ['title']],
      ['time2', 'time', ['fireTime']],
      ['thing3', 'thing', ['detail']],
    ]);
  });

  it('names the template and key of an unknown prefix, listing every problem', () => {
    const file = writeConfig({
      tplA: { thing1: '{{title}}', widget2: '{{detail}}' },
      tplB: { gadget1: '{{title}}' },
    });
    expect(() => loadTemplates(file)).toThrow(TemplateConfigError);
    try {
      loadTemplates(file);
    } catch (err) {
      const problems = (err as TemplateConfigError).problems;
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(
        /template tplA key widget2: unknown field type prefix \(known: thing, number,/,
      );
      expect(problems[1]).toMatch(/template tplB key gadget1/);
      expect((err as Error).message).toContain(file);
    }
  });

  it('refuses unknown placeholders, non-string patterns and empty templates', () => {
    const file = writeConfig({ a: { thing1: '{{titel}}', thing2: 5 }, b: {}, c: [] });
    expect(() => loadTemplates(file)).toThrow(
      /unknown placeholder \{\{titel\}\}.*thing2: pattern must be a string.*b has no fields.*c must be an object/,
    );
  });

  it('refuses a fixed pattern that cannot fit its field', () => {
    expect(() => parseTemplates({ a: { phrase1: '请按时完成今日任务' } })).toThrow(
      /template a key phrase1: "请按时完成今日任务" renders as "请按时完成今日任务", which must be at most 5 characters \(got 9\)/,
    );
    expect(() => parseTemplates({ a: { number1: '{{fireTime}}' } })).toThrow(/key number1.*must be a number/);
  });

  it('accepts fixed text and fireTime in fields that can hold them', () => {
    const catalog = parseTemplates({
      a: { phrase1: '待办', date2: '{{fireTime}}', thing3: '提醒：{{title}}' },
    });
    expect(catalog.get('a')?.fields).toHaveLength(3);
  });

  it('reports unreadable JSON with the file name', () => {
    const file = writeConfig('{ not json');
    expect(() => loadTemplates(file)).toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*cannot be read as JSON`),
    );
    expect(() => loadTemplates(path.join(dir, 'missing.json'))).toThrow(TemplateConfigError);
  });
});

describe('formatFireTime', () => {
  it('renders time fields as 2026年11月21日 08:30 in Asia/Shanghai', () => {
    expect(formatFireTime('time', FIRE_AT, 'Asia/Shanghai')).toBe('2026年11月21日 08:30');
  });

  it('renders date fields as 2026-11-21 08:30 in Asia/Shanghai', () => {
    expect(formatFireTime('date', FIRE_AT, 'Asia/Shanghai')).toBe('2026-11-21 08:30');
  });

  it('renders in America/New_York on standard and daylight time', () => {
    expect(formatFireTime('time', FIRE_AT, 'America/New_York')).toBe('2026年11月20日 19:30');
    expect(formatFireTime('date', FIRE_AT, 'America/New_York')).toBe('2026-11-20 19:30');
    // 2026-07-04 13:05 UTC is 09:05 EDT (UTC−4).
    expect(formatFireTime('time', Date.UTC(2026, 6, 4, 13, 5), 'America/New_York')).toBe(
      '2026年7月4日 09:05',
    );
  });

  it('uses the time form for other field types', () => {
    expect(formatFireTime('thing', FIRE_AT, 'Asia/Shanghai')).toBe('2026年11月21日 08:30');
  });

  it('throws TemplateRenderError for an unknown zone', () => {
    expect(() => formatFireTime('time', FIRE_AT, 'Mars/Olympus')).toThrow(TemplateRenderError);
  });

  it('writes what luxon wrote, in every zone the runtime knows, across a year of minutes', () => {
    const zones = [...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/GMT-14', 'Etc/GMT+12'];
    const mismatches: string[] = [];
    for (const zone of zones) {
      for (let i = 0; i < 60; i += 1) {
        // Steps of a little over six days and one minute: every month, weekday and DST side.
        const at = Date.UTC(2026, 0, 1) + i * (6 * 86_400_000 + 3_661_000);
        const luxon = DateTime.fromMillis(at, { zone });
        const want = {
          date: luxon.toFormat('yyyy-MM-dd HH:mm'),
          time: luxon.toFormat("yyyy'年'M'月'd'日' HH:mm"),
        };
        for (const type of ['date', 'time'] as const) {
          const got = formatFireTime(type, at, zone);
          if (got !== want[type]) mismatches.push(`${zone} ${at} ${type}: ${got} ≠ ${want[type]}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('throws TemplateRenderError for a time no calendar can show', () => {
    for (const at of [Number.NaN, Infinity, 8.64e15 + 1]) {
      expect(() => formatFireTime('time', at, 'Asia/Shanghai')).toThrow(TemplateRenderError);
    }
  });
});

describe('the template check of a create', () => {
  const catalog = loadTemplates(CONFIG);

  it('formats one wall-clock time per fire-time field once its zone has been seen', () => {
    validateReminderTemplate(catalog, DEFAULT_ID, vars({ timezone: 'Asia/Tokyo' })); // zone seen
    // `format` is a getter handing out a bound function: each use reads it once.
    const prototype = Intl.DateTimeFormat.prototype as unknown as { readonly format: unknown };
    const format = jest.spyOn(prototype, 'format', 'get');
    const parts = jest.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    try {
      const problems = validateReminderTemplate(
        catalog,
        DEFAULT_ID,
        vars({ timezone: 'Asia/Tokyo', fireAt: FIRE_AT + 86_400_000 }),
      );
      expect(problems).toEqual([]);
      // One for the fire time itself; the longest-date check reuses the zone's rendering.
      expect(format.mock.calls.length + parts.mock.calls.length).toBe(1);
    } finally {
      format.mockRestore();
      parts.mockRestore();
    }
  });
});

describe('renderTemplateData', () => {
  const catalog = loadTemplates(CONFIG);

  it('fills the default template', () => {
    expect(renderTemplateData(catalog, DEFAULT_ID, vars())).toEqual({
      thing1: { value: '喝水' },
      time2: { value: '2026年11月21日 08:30' },
      thing3: { value: '一杯温水' },
    });
  });

  it('renders fireTime in the reminder timezone', () => {
    const data = renderTemplateData(catalog, DEFAULT_ID, vars({ timezone: 'America/New_York' }));
    expect(data.time2).toEqual({ value: '2026年11月20日 19:30' });
  });

  it(`renders an empty or blank detail as ${EMPTY_DETAIL_FALLBACK}, valid in a thing field`, () => {
    for (const detail of ['', '   ']) {
      const data = renderTemplateData(catalog, DEFAULT_ID, vars({ detail }));
      expect(data.thing3).toEqual({ value: EMPTY_DETAIL_FALLBACK });
    }
    expect(validateReminderTemplate(catalog, DEFAULT_ID, vars({ detail: '' }))).toEqual([]);
  });

  it('lets per-reminder data override a key and ignores keys the template lacks', () => {
    const data = renderTemplateData(catalog, DEFAULT_ID, vars({ data: { thing3: '带杯子', thing9: 'x' } }));
    expect(data).toEqual({
      thing1: { value: '喝水' },
      time2: { value: '2026年11月21日 08:30' },
      thing3: { value: '带杯子' },
    });
  });

  it('substitutes placeholders inside text and repeated', () => {
    const c = parseTemplates({ t: { thing1: '【{{ title }}】{{title}}', date2: '{{fireTime}}' } });
    expect(renderTemplateData(c, 't', vars())).toEqual({
      thing1: { value: '【喝水】喝水' },
      date2: { value: '2026-11-21 08:30' },
    });
  });

  it('throws UnknownTemplateError for an unknown template id', () => {
    expect(() => renderTemplateData(catalog, 'nope', vars())).toThrow(UnknownTemplateError);
    try {
      renderTemplateData(catalog, 'nope', vars());
    } catch (err) {
      expect((err as UnknownTemplateError).templateId).toBe('nope');
    }
  });
});

describe('validateReminderTemplate', () => {
  const catalog: TemplateCatalog = loadTemplates(CONFIG);

  it('finds nothing wrong with a fitting reminder', () => {
    expect(validateReminderTemplate(catalog, DEFAULT_ID, vars({ title: '提'.repeat(20) }))).toEqual([]);
  });

  it('names title for a 21-character title', () => {
    expect(validateReminderTemplate(catalog, DEFAULT_ID, vars({ title: '提'.repeat(21) }))).toEqual([
      { path: 'title', message: 'title renders into thing1, which must be at most 20 characters (got 21)' },
    ]);
  });

  it('names detail for a long detail, together with a long title', () => {
    expect(
      validateReminderTemplate(catalog, DEFAULT_ID, vars({ title: 'x'.repeat(25), detail: 'y'.repeat(30) })),
    ).toEqual([
      { path: 'title', message: 'title renders into thing1, which must be at most 20 characters (got 25)' },
      { path: 'detail', message: 'detail renders into thing3, which must be at most 20 characters (got 30)' },
    ]);
  });

  it('names data.<key> for a bad override and for a key the template lacks', () => {
    expect(
      validateReminderTemplate(catalog, DEFAULT_ID, vars({ data: { time2: 'tomorrow', thing7: 'x' } })),
    ).toEqual([
      {
        path: 'data.thing7',
        message: expect.stringMatching(
          /^data\.thing7 is not a field of template .* \(fields: thing1, time2, thing3\)$/,
        ),
      },
      { path: 'data.time2', message: expect.stringMatching(/^data\.time2 must be a 24-hour time/) },
    ]);
  });

  it('names the placeholder of a mixed pattern', () => {
    const c = parseTemplates({ t: { thing1: '提醒：{{title}}', thing2: '{{title}}/{{detail}}' } });
    expect(validateReminderTemplate(c, 't', vars({ title: '提'.repeat(18), detail: 'ab' }))).toEqual([
      { path: 'title', message: 'title renders into thing1, which must be at most 20 characters (got 21)' },
      {
        path: 'title',
        message: 'title and detail render into thing2, which must be at most 20 characters (got 21)',
      },
    ]);
  });

  it('names templateId when no user field feeds the value', () => {
    // parseTemplates refuses such a field; a catalogue built by hand can still hold one.
    const c: TemplateCatalog = new Map([
      [
        't',
        {
          id: 't',
          fields: [{ key: 'number1', type: 'number', pattern: '{{fireTime}}', placeholders: ['fireTime'] }],
        },
      ],
    ]);
    expect(validateReminderTemplate(c, 't', vars())).toEqual([
      {
        path: 'templateId',
        message: expect.stringMatching(
          /^template t renders number1 as "2026年11月21日 08:30", which must be a number/,
        ),
      },
    ]);
  });

  it('checks a mixed fireTime pattern against the longest date too', () => {
    const c = parseTemplates({ t: { thing1: '{{title}} {{fireTime}}' } });
    // On 1月1日 the rendering is 2 characters shorter than on 11月21日.
    const jan1 = Date.UTC(2026, 0, 1, 0, 30);
    expect(validateReminderTemplate(c, 't', vars({ title: 'ab', fireAt: jan1 }))).toEqual([]);
    expect(validateReminderTemplate(c, 't', vars({ title: 'abc', fireAt: jan1 }))).toEqual([
      {
        path: 'title',
        message:
          'title renders into thing1, which must be at most 20 characters (got 21) on days such as 11月21日',
      },
    ]);
  });

  it('answers templateId for an unknown template', () => {
    expect(validateReminderTemplate(catalog, 'nope', vars())).toEqual([
      { path: 'templateId', message: expect.stringContaining('unknown template nope') },
    ]);
  });

  it('answers timezone for an unusable zone', () => {
    expect(validateReminderTemplate(catalog, DEFAULT_ID, vars({ timezone: 'Not/AZone' }))).toEqual([
      { path: 'timezone', message: expect.stringContaining('Not/AZone') },
    ]);
  });
});
