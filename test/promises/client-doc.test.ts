import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { PROMISE_TEMPLATE, REMINDER_TEMPLATE, toUtcHour } from './promise-helpers';

/**
 * docs/client.md's promise pages as a mini-program runs them: utils/api.js, utils/promise.js,
 * utils/promise-templates.js and the pages new, accept and detail, taken from the page as printed,
 * against a real tixing, two phones (a stand-in `wx` each, like test/docs/client.test.ts's).
 */
const CLIENT_MD = readFileSync(path.join(__dirname, '..', '..', 'docs', 'client.md'), 'utf8');
const jsBlocks = [...CLIENT_MD.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

function block(firstLine: string): string {
  const found = jsBlocks.find((code) => code.startsWith(firstLine));
  if (!found) throw new Error(`docs/client.md has no js block starting with ${firstLine}`);
  return found;
}

type Json = Record<string, unknown>;
interface PageInstance {
  data: Json;
  setData(patch: Json): void;
  [method: string]: unknown;
}

let phones = 0;

/** One phone: a `wx` stand-in, the utils modules loaded from the doc, and a way to open its pages. */
function phone(base: string) {
  const user = `phone${(phones += 1)}`;
  const storage = new Map<string, unknown>();
  const asked: string[][] = [];
  const redirects: string[] = [];
  let codes = 0;
  const wx = {
    login: (o: { success: (r: { code: string }) => void }) =>
      setTimeout(() => o.success({ code: `${user}#${(codes += 1)}` }), 1),
    request(o: {
      url: string;
      method?: string;
      data?: Record<string, string | number>;
      header?: Record<string, string>;
      success: (r: { statusCode: number; data: unknown }) => void;
      fail: (e: { errMsg: string }) => void;
    }) {
      const method = o.method ?? 'GET';
      let url = o.url;
      let body: string | undefined;
      if (method === 'GET' && o.data)
        url += `?${new URLSearchParams(Object.entries(o.data).map(([k, v]): [string, string] => [k, String(v)]))}`;
      else if (o.data !== undefined) body = JSON.stringify(o.data);
      fetch(url, { method, headers: o.header, body }).then(
        async (res) => o.success({ statusCode: res.status, data: await res.json().catch(() => null) }),
        (err: Error) => o.fail({ errMsg: `request:fail ${err.message}` }),
      );
    },
    setStorageSync: (k: string, v: unknown) => storage.set(k, v),
    getStorageSync: (k: string) => (storage.has(k) ? storage.get(k) : ''),
    removeStorageSync: (k: string) => storage.delete(k),
    showShareMenu: () => undefined,
    showToast: () => undefined,
    redirectTo: (o: { url: string }) => redirects.push(o.url),
  };
  const modules = new Map<string, unknown>();
  const load = (code: string, globals: Json = {}) => {
    const module = { exports: {} as unknown };
    const requireFn = (name: string) => {
      const found = modules.get(name.replace(/^(\.\.\/)+utils\//, './'));
      if (!found) throw new Error(`unexpected require ${name}`);
      return found;
    };
    const names = ['wx', 'module', 'exports', 'require', ...Object.keys(globals)];
    new Function(...names, code)(wx, module, module.exports, requireFn, ...Object.values(globals));
    return module.exports;
  };
  const source = block('// utils/api.js').replace(
    /const BASE_URL = '[^']*';/,
    `const BASE_URL = ${JSON.stringify(base)};`,
  );
  const api = load(source) as { reportSubscriptions(r: Json): Promise<unknown> } & Record<
    string,
    (...a: unknown[]) => Promise<Json>
  >;
  modules.set('./api', api);
  modules.set('./promise-templates', load(block('// utils/promise-templates.js')));
  modules.set('./promise', load(block('// utils/promise.js')));
  // The doc's askForSubscription (pages/new/new.js): here every template is accepted, and reported.
  const askForSubscription = async (tmplIds: string[]) => {
    asked.push(tmplIds);
    const result: Json = { errMsg: 'requestSubscribeMessage:ok' };
    for (const id of tmplIds) result[id] = 'accept';
    await api.reportSubscriptions(result);
    return true;
  };
  /** Loads a page of the doc and calls its onLoad; resolves the page instance. */
  const open = async (firstLine: string, options: Json = {}): Promise<PageInstance> => {
    let definition: Json = {};
    load(block(firstLine), { Page: (d: Json) => (definition = d), askForSubscription });
    const page: PageInstance = {
      ...definition,
      data: { ...(definition.data as Json) },
      setData(patch: Json) {
        Object.assign(this.data, patch);
      },
    };
    if (typeof page.onLoad === 'function') await (page.onLoad as (o: Json) => unknown).call(page, options);
    return page;
  };
  const call = async (page: PageInstance, method: string, arg?: unknown) =>
    (page[method] as (a?: unknown) => unknown).call(page, arg);
  return { api, open, call, asked, redirects };
}

const env = useSandbox();
let t: TestInstance;
let base: string;

beforeAll(async () => {
  const clock = new TestClock();
  toUtcHour(clock, 10); // 18:00 in Shanghai: the page's 21:00 promise is owed today
  t = await env.start({ config: { quotaMode: 'enforce' }, now: clock.now });
  base = (await t.instance.listen(0, '127.0.0.1')).url;
});

describe('docs/client.md, the promise pages', () => {
  it('creates and shares an ask, accepts it on another phone, keeps a day and shows the streak', async () => {
    const alice = phone(base);
    const bob = phone(base);
    const carol = phone(base);

    const created = await alice.open('// pages/promise/new.js');
    await alice.call(created, 'onCreate', { currentTarget: { dataset: { type: 'ask' } } });
    expect(alice.asked).toEqual([[PROMISE_TEMPLATE]]);
    const promise = created.data.promise as { id: string; reminded: null; invite: { code: string } };
    expect(promise.reminded).toBeNull();
    const share = (await alice.call(created, 'onShareAppMessage')) as { title: string; path: string };
    expect(share).toEqual({
      title: '请你承诺：每天跑步',
      path: `/pages/promise/accept?code=${promise.invite.code}`,
    });

    // Bob taps the card: the accept page reads the invite, then accepts from the tap.
    const code = new URL(share.path, 'https://mp').searchParams.get('code') ?? '';
    const accepting = await bob.open('// pages/promise/accept.js', { code });
    expect(accepting.data.invite).toMatchObject({ type: 'ask', state: 'open', counterpartName: '小明' });
    await bob.call(accepting, 'onAccept');
    expect(bob.asked).toEqual([[REMINDER_TEMPLATE, PROMISE_TEMPLATE]]);
    expect(bob.redirects).toEqual([`/pages/promise/detail?id=${promise.id}`]);

    // Someone else tapping the same card is told it is taken.
    const late = await carol.open('// pages/promise/accept.js', { code });
    expect(late.data.invite).toMatchObject({ state: 'taken' });
    await carol.call(late, 'onAccept');
    expect(late.data.problem).toBe('已有人接受了这个邀请');
    const unknown = await carol.open('// pages/promise/accept.js', { code: 'nope' });
    expect(unknown.data.problem).toBe('邀请不存在或承诺已结束');

    // Bob keeps today; both detail pages show the streak and the day; Alice is told.
    const detail = await bob.open('// pages/promise/detail.js', { id: promise.id });
    expect(detail.data.promise).toMatchObject({ canKeep: true, streak: 0 });
    await bob.call(detail, 'onKeep');
    const today = (detail.data.promise as { today: string }).today;
    expect(detail.data.streak).toBe('已连续兑现 1 天（共 1 天，错过 0 天）');
    expect(detail.data.days).toEqual(expect.arrayContaining([{ date: today, state: 'kept' }]));
    const aliceDetail = await alice.open('// pages/promise/detail.js', { id: promise.id });
    expect(aliceDetail.data.streak).toBe('已连续兑现 1 天（共 1 天，错过 0 天）');
    await waitFor(() =>
      env.sandbox.sent.some((m) => m.template_id === PROMISE_TEMPLATE && m.data.phrase4?.value === '已兑现'),
    );

    // Ending it from Alice's page shows it ended.
    await alice.call(aliceDetail, 'onEnd');
    expect(aliceDetail.data.promise).toMatchObject({ status: 'ended', canKeep: false });
    const page = await alice.api.listPromises!();
    expect((page.items as { id: string }[]).map((p) => p.id)).toEqual([promise.id]);
  });
});
