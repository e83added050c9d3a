import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A phone for the tests that run docs/client.md's code as printed: a stand-in for `wx` (wx.login
 * with sandbox codes, wx.request through fetch against a real tixing, storage), and the page's
 * modules loaded with it. A test adds what its page also calls (`requestSubscribeMessage`,
 * `getLocation`, …) through `extra`.
 */
const CLIENT_MD = readFileSync(path.join(__dirname, '..', '..', 'docs', 'client.md'), 'utf8');
const BLOCKS = [...CLIENT_MD.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

/** The js block of docs/client.md whose first line is `first` (e.g. `// utils/api.js`). */
export function clientBlock(first: string): string {
  const found = BLOCKS.find((code) => code.startsWith(first));
  if (!found) throw new Error(`docs/client.md has no js block starting with ${first}`);
  return found;
}

export type Json = Record<string, unknown>;
export interface ClientApi {
  call(method: string, path: string, data?: unknown): Promise<Json>;
}

let phones = 0;

/**
 * The `wx` of one phone of sandbox user `user` (its login codes `<user>#<tag><phone>.<n>`, unique
 * per run), with `extra` merged in, and `load(first, requires)` for the page's modules: `./api`
 * is utils/api.js, pointed at `base`.
 */
export function clientPhone(base: string, user: string, tag: string, extra: Json = {}) {
  phones += 1;
  const phone = phones;
  const storage = new Map<string, unknown>();
  let codes = 0;
  const wx = {
    login: (o: { success: (r: { code: string }) => void }) =>
      setTimeout(() => o.success({ code: `${user}#${tag}${phone}.${++codes}` }), 1),
    request(o: {
      url: string;
      method?: string;
      data?: Record<string, string | number | boolean>;
      header?: Record<string, string>;
      success: (r: { statusCode: number; data: unknown; header: object }) => void;
      fail: (e: { errMsg: string }) => void;
    }) {
      const method = o.method ?? 'GET';
      let url = o.url;
      let body: string | undefined;
      if (method === 'GET' && o.data)
        url += `?${new URLSearchParams(Object.entries(o.data).map(([k, v]): [string, string] => [k, String(v)]))}`;
      else if (o.data !== undefined) body = JSON.stringify(o.data);
      fetch(url, { method, headers: o.header, body }).then(
        async (res) => o.success({ statusCode: res.status, data: await res.json(), header: {} }),
        (err: Error) => o.fail({ errMsg: `request:fail ${err.message}` }),
      );
    },
    setStorageSync: (k: string, v: unknown) => storage.set(k, v),
    getStorageSync: (k: string) => (storage.has(k) ? storage.get(k) : ''),
    removeStorageSync: (k: string) => storage.delete(k),
    ...extra,
  };
  const run = (code: string, requireFn: (name: string) => unknown): unknown => {
    const module = { exports: {} as unknown };
    new Function('wx', 'module', 'exports', 'require', code)(wx, module, module.exports, requireFn);
    return module.exports;
  };
  const api = run(
    clientBlock('// utils/api.js').replace(
      /const BASE_URL = '[^']*';/,
      `const BASE_URL = ${JSON.stringify(base)};`,
    ),
    () => {
      throw new Error('utils/api.js requires nothing');
    },
  ) as ClientApi;
  /** A page module of docs/client.md that requires only `./api`. */
  const load = <T>(first: string): T =>
    run(clientBlock(first), (name) => {
      if (name !== './api') throw new Error(`unexpected require ${name}`);
      return api;
    }) as T;
  return { wx, api, load };
}
