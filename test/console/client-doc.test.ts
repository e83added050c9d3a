import { readFileSync } from 'node:fs';
import path from 'node:path';
import { useSandbox, type TestInstance } from '../support/harness';
import { data } from '../support/api-types';
import { Browser } from './console-helpers';

/**
 * docs/client.md's `pages/console/login` as a mini-program runs it: utils/api.js and the page,
 * taken from the doc as printed, against a real tixing, with a stand-in `wx` (wx.request answers
 * every status through `success`, as the runtime does). The computer's side is a Browser polling.
 */
const CLIENT_MD = readFileSync(path.join(__dirname, '..', '..', 'docs', 'client.md'), 'utf8');
const jsBlocks = [...CLIENT_MD.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
const block = (firstLine: string): string => {
  const found = jsBlocks.find((code) => code.startsWith(firstLine));
  if (!found) throw new Error(`docs/client.md has no js block starting with ${firstLine}`);
  return found;
};

type Json = Record<string, unknown>;
interface PageInstance {
  data: Json;
  setData(patch: Json): void;
  [method: string]: unknown;
}

let phones = 0;

/** One phone with the doc's utils/api.js; `open` loads the doc's page and runs its onLoad. */
function phone(base: string) {
  const user = `cphone${(phones += 1)}`;
  const storage = new Map<string, unknown>();
  let codes = 0;
  const wx = {
    login: (o: { success: (r: { code: string }) => void }) =>
      setTimeout(() => o.success({ code: `${user}#${(codes += 1)}` }), 1),
    request(o: {
      url: string;
      method?: string;
      data?: unknown;
      header?: Record<string, string>;
      success: (r: { statusCode: number; data: unknown }) => void;
      fail: (e: { errMsg: string }) => void;
    }) {
      const method = o.method ?? 'GET';
      const body = method === 'GET' || o.data === undefined ? undefined : JSON.stringify(o.data);
      fetch(o.url, { method, headers: o.header, body }).then(
        async (res) => o.success({ statusCode: res.status, data: await res.json().catch(() => null) }),
        (err: Error) => o.fail({ errMsg: `request:fail ${err.message}` }),
      );
    },
    setStorageSync: (k: string, v: unknown) => storage.set(k, v),
    getStorageSync: (k: string) => (storage.has(k) ? storage.get(k) : ''),
    removeStorageSync: (k: string) => storage.delete(k),
    navigateBack: () => undefined,
  };
  const load = (code: string, globals: Json, requireFn: (name: string) => unknown) => {
    const module = { exports: {} as unknown };
    const names = ['wx', 'module', 'exports', 'require', ...Object.keys(globals)];
    new Function(...names, code)(wx, module, module.exports, requireFn, ...Object.values(globals));
    return module.exports;
  };
  const source = block('// utils/api.js').replace(
    /const BASE_URL = '[^']*';/,
    `const BASE_URL = ${JSON.stringify(base)};`,
  );
  const api = load(source, {}, () => {
    throw new Error('utils/api.js requires nothing');
  });
  const open = (options: Json): PageInstance => {
    let definition: Json = {};
    load(block('// pages/console/login.js'), { Page: (d: Json) => (definition = d) }, (name) => {
      if (name !== '../../utils/api') throw new Error(`unexpected require ${name}`);
      return api;
    });
    const page: PageInstance = {
      ...definition,
      data: { ...(definition.data as Json) },
      setData(patch: Json) {
        Object.assign(this.data, patch);
      },
    };
    (page.onLoad as (o: Json) => void).call(page, options);
    return page;
  };
  return { open, user };
}

const env = useSandbox();
let t: TestInstance;
let base: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  base = (await t.instance.listen(0, '127.0.0.1')).url;
});

describe('docs/client.md, pages/console/login', () => {
  it('approves the scanned sign-in: the computer that polls is signed in as the phone’s user', async () => {
    const computer = new Browser(t);
    const { nonce, scene } = await computer.startLogin();
    const teacher = phone(base);
    const page = teacher.open({ scene: encodeURIComponent(scene) });
    expect(page.data).toMatchObject({ nonce, state: 'ask' });
    await (page.onConfirm as () => Promise<void>).call(page);
    expect(page.data).toMatchObject({ state: 'done', problem: '' });

    const polled = data<{ status: string; session: { kind: string; csrfToken: string } }>(
      await computer.poll(nonce),
    );
    expect(polled).toMatchObject({ status: 'approved', session: { kind: 'publisher' } });
    // Once: a second scan of the same code is told it expired.
    const again = teacher.open({ scene: encodeURIComponent(scene) });
    await (again.onConfirm as () => Promise<void>).call(again);
    expect(again.data).toMatchObject({ state: 'problem', problem: '二维码已过期，请在电脑上刷新后重新扫码' });
  });

  it('says so for a code that is not a console sign-in', () => {
    const page = phone(base).open({ scene: encodeURIComponent('c=12') });
    expect(page.data).toMatchObject({ state: 'problem', problem: '这不是控制台的登录码' });
  });
});
