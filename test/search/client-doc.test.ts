import { readFileSync } from 'node:fs';
import path from 'node:path';
import { useSandbox, type TestInstance } from '../support/harness';
import { group, join, person, publish, QUICK, settled } from '../notices/notice-helpers';

/**
 * docs/client.md's search page as a mini-program runs it: utils/api.js and pages/notice/search.js
 * taken from the page as printed, against a real tixing, with a stand-in `wx` (wx.request answers
 * every status through `success`, GET data as the query string).
 */
const CLIENT_MD = readFileSync(path.join(__dirname, '..', '..', 'docs', 'client.md'), 'utf8');
const jsBlocks = [...CLIENT_MD.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

function block(firstLine: string): string {
  const found = jsBlocks.find((code) => code.startsWith(firstLine));
  if (!found) throw new Error(`docs/client.md has no js block starting with ${firstLine}`);
  return found;
}

type Json = Record<string, unknown>;
interface SearchPage {
  data: {
    q: string;
    items: { title: string; page: string; hot: number | null }[];
    cursor: string | null;
    errors: Json;
  };
  setData(patch: Json): void;
  onInput(e: Json): void;
  onConfirm(): Promise<void>;
  onSort(e: Json): Promise<void>;
  onCategory(e: Json): Promise<void>;
  onReachBottom(): Promise<void> | undefined;
  onOpen(e: Json): void;
}

/** The search page of a phone logged in as `code`'s user. */
function searchPage(base: string, code: string): { page: SearchPage; opened: () => string } {
  const storage = new Map<string, unknown>();
  let opened = '';
  const wx = {
    login: (o: { success: (r: { code: string }) => void }) => setTimeout(() => o.success({ code }), 1),
    request(o: {
      url: string;
      method?: string;
      data?: Record<string, unknown>;
      header?: Record<string, string>;
      success: (r: { statusCode: number; data: unknown; header: Record<string, string> }) => void;
      fail: (e: { errMsg: string }) => void;
    }) {
      const method = o.method ?? 'GET';
      let url = o.url;
      let body: string | undefined;
      if (method === 'GET' && o.data)
        url += `?${new URLSearchParams(Object.entries(o.data).map(([k, v]): [string, string] => [k, String(v)]))}`;
      else if (o.data !== undefined) body = JSON.stringify(o.data);
      fetch(url, { method, headers: o.header, body }).then(
        async (res) =>
          o.success({
            statusCode: res.status,
            data: await res.json(),
            header: Object.fromEntries(res.headers),
          }),
        (err: Error) => o.fail({ errMsg: `request:fail ${err.message}` }),
      );
    },
    setStorageSync: (key: string, value: unknown) => storage.set(key, structuredClone(value)),
    getStorageSync: (key: string) => (storage.has(key) ? storage.get(key) : ''),
    removeStorageSync: (key: string) => storage.delete(key),
    navigateTo: (o: { url: string }) => (opened = o.url),
  };
  const load = (source: string, requireFn: (name: string) => unknown) => {
    const module = { exports: {} as unknown };
    let definition: Json = {};
    const Page = (d: Json) => (definition = d);
    new Function('wx', 'module', 'exports', 'require', 'Page', source)(
      wx,
      module,
      module.exports,
      requireFn,
      Page,
    );
    return { exports: module.exports, definition };
  };
  const apiSource = block('// utils/api.js').replace(
    /const BASE_URL = '[^']*';/,
    `const BASE_URL = ${JSON.stringify(base)};`,
  );
  const api = load(apiSource, () => undefined).exports;
  const { definition } = load(block('// pages/notice/search.js'), (name) => {
    if (name !== '../../utils/api') throw new Error(`unexpected require ${name}`);
    return api;
  });
  const page = { ...definition, data: structuredClone(definition.data) } as unknown as SearchPage;
  page.setData = (patch: Json) => Object.assign(page.data, patch);
  return { page, opened: () => opened };
}

const lab = useSandbox();
let t: TestInstance;
let base: string;

beforeAll(async () => {
  t = await lab.start({ tuning: QUICK });
  base = (await t.instance.listen(0, '127.0.0.1')).url;
});

describe('docs/client.md: the search page', () => {
  it('searches, pages, ranks hot, shows 400 details and opens a hit', async () => {
    const teacher = await person(t, lab.sandbox, 'doc-teacher');
    const A = await group(t, teacher, '五班');
    const student = await person(t, lab.sandbox, 'doc-student');
    await join(t, student, A.code);
    for (const title of ['期末考试安排', '期末复习资料', '运动会报名']) {
      await settled(t, teacher, (await publish(t, teacher, { title, audience: { groups: [A.id] } })).id);
    }
    const { page, opened } = searchPage(base, 'doc-student#77');

    page.onInput({ detail: { value: ' 期末 ' } });
    await page.onConfirm();
    expect(page.data.items.map((i) => i.title)).toEqual(['期末复习资料', '期末考试安排']);

    // Newest first, page by page (limit 20 holds all three: the cursor ends the list).
    page.onInput({ detail: { value: '' } });
    await page.onConfirm();
    expect(page.data.items.map((i) => i.title)).toEqual(['运动会报名', '期末复习资料', '期末考试安排']);
    expect(page.data.cursor).toBeNull();

    await page.onSort({ currentTarget: { dataset: { sort: 'hot' } } });
    expect(page.data.items.map((i) => i.hot)).toEqual([0, 0, 0]);

    page.onInput({ detail: { value: '期'.repeat(51) } });
    await page.onConfirm();
    expect(Object.keys(page.data.errors)).toEqual(['q']);

    page.onInput({ detail: { value: '运动' } });
    await page.onConfirm();
    page.onOpen({ currentTarget: { dataset: { index: 0 } } });
    expect(opened()).toMatch(/^\/pages\/notice\/detail\?id=\d+$/);
  });
});
