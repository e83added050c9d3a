import { readFileSync } from 'node:fs';
import path from 'node:path';
import { useSandbox, waitFor, type TestInstance } from '../support/harness';
import { NOTICE_TEMPLATE } from './notice-helpers';

/**
 * docs/client.md's notice pages as a mini-program runs them: utils/api.js and the pages inbox,
 * detail, settings and new, taken from the page as printed, against a real tixing and the
 * sandbox, one stand-in `wx` per phone (as test/docs/client.test.ts's: wx.request answers every
 * status through `success`).
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

/** One phone: a `wx` stand-in, utils/api.js from the doc, and a way to open the doc's pages. */
function phone(base: string, name: string) {
  const storage = new Map<string, unknown>();
  const shown = { badge: '', navigated: '', opened: '' };
  let codes = 0;
  phones += 1;
  const wx = {
    login: (o: { success: (r: { code: string }) => void }) =>
      setTimeout(() => o.success({ code: `${name}#${phones}-${(codes += 1)}` }), 1),
    request(o: {
      url: string;
      method?: string;
      data?: Record<string, string | number | boolean>;
      header?: Record<string, string>;
      success: (r: { statusCode: number; data: unknown }) => void;
      fail: (e: { errMsg: string }) => void;
    }) {
      const method = o.method ?? 'GET';
      let url = o.url;
      let body: string | undefined;
      if (method === 'GET' && o.data) {
        const query = Object.entries(o.data).map(([k, v]): [string, string] => [k, String(v)]);
        url += `?${new URLSearchParams(query).toString()}`;
      } else if (o.data !== undefined) body = JSON.stringify(o.data);
      fetch(url, { method, headers: o.header, body }).then(
        async (res) => o.success({ statusCode: res.status, data: await res.json().catch(() => null) }),
        (err: Error) => o.fail({ errMsg: `request:fail ${err.message}` }),
      );
    },
    requestSubscribeMessage(o: { tmplIds: string[]; success: (r: Json) => void }) {
      const res: Json = { errMsg: 'requestSubscribeMessage:ok' };
      for (const id of o.tmplIds) res[id] = 'accept';
      setTimeout(() => o.success(res), 1);
    },
    downloadFile(o: { url: string; success: (r: { tempFilePath: string }) => void }) {
      setTimeout(() => o.success({ tempFilePath: `wxfile://tmp_${o.url.split('/').pop() ?? ''}` }), 1);
    },
    openDocument: (o: { filePath: string }) => (shown.opened = o.filePath),
    setTabBarBadge: (o: { text: string }) => (shown.badge = o.text),
    removeTabBarBadge: () => (shown.badge = ''),
    navigateTo: (o: { url: string }) => (shown.navigated = o.url),
    setStorageSync: (k: string, v: unknown) => storage.set(k, v),
    getStorageSync: (k: string) => (storage.has(k) ? storage.get(k) : ''),
    removeStorageSync: (k: string) => storage.delete(k),
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
  }) as Record<string, (...a: unknown[]) => Promise<Json>>;
  const open = async (firstLine: string, options: Json = {}): Promise<PageInstance> => {
    let definition: Json = {};
    load(block(firstLine), { Page: (d: Json) => (definition = d) }, (required) => {
      if (required !== '../../utils/api') throw new Error(`unexpected require ${required}`);
      return api;
    });
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
  return { api, open, call, shown };
}

const env = useSandbox();
let t: TestInstance;
let base: string;

beforeAll(async () => {
  t = await env.start({ config: { quotaMode: 'enforce' }, tuning: { sweepIntervalMs: 100 } });
  base = (await t.instance.listen(0, '127.0.0.1')).url;
});

interface NoticeData {
  id: string;
  status: string;
  me: { state: string } | null;
}

describe('docs/client.md, the notice pages', () => {
  it('publishes, pushes to the one who granted, shows the inbox and its badge, reads and confirms, follows and reminds', async () => {
    const teacher = phone(base, 'nc-teacher');
    const granted = phone(base, 'nc-granted');
    const silent = phone(base, 'nc-silent');
    const group = await teacher.api.createGroup!({ name: '三年二班' });
    const code = (group.invite as { code: string }).code;
    await granted.api.joinGroup!(code);
    await silent.api.joinGroup!(code);

    // One student grants notice pushes on the settings page, the other mutes 作业 there.
    const settings = await granted.open('// pages/notice/settings.js');
    expect(settings.data).toMatchObject({ categories: { 通知: true, 作业: true }, remaining: 0 });
    await granted.call(settings, 'onSubscribe');
    await waitFor(() => settings.data.remaining === 1);
    const mutes = await silent.open('// pages/notice/settings.js');
    await silent.call(mutes, 'onSwitch', {
      currentTarget: { dataset: { name: '作业' } },
      detail: { value: false },
    });
    expect(mutes.data.categories).toMatchObject({ 通知: true, 作业: false });

    // The teacher's form: a title the push cannot carry is named; then the notice goes out.
    const form = await teacher.open('// pages/notice/new.js');
    const value = {
      body: '带好文具',
      category: '通知',
      requireConfirm: true,
      groupIds: [group.id as string],
    };
    await teacher.call(form, 'onPublish', {
      detail: { value: { ...value, title: '这是一个超过二十个字的很长很长的通知标题放不下' } },
    });
    expect(form.data.errors).toMatchObject({ title: expect.stringContaining('thing1') });
    await teacher.call(form, 'onPublish', { detail: { value: { ...value, title: '明天期中考试' } } });
    const notice = form.data.notice as NoticeData;
    expect(notice.status).toBe('publishing');

    // The push reaches the student who granted it, opening the detail page with the notice's id.
    const push = await waitFor(() => env.sandbox.sent.find((m) => m.template_id === NOTICE_TEMPLATE));
    expect(push).toMatchObject({
      touser: env.sandbox.openIdFor('nc-granted'),
      page: `pages/notice/detail?id=${notice.id}`,
    });

    // The other one finds it in the inbox, with the badge; opening it reads it, and they confirm.
    const inbox = await silent.open('// pages/notice/inbox.js');
    await waitFor(async () => {
      await silent.call(inbox, 'onShow');
      return (inbox.data.items as unknown[]).length === 1;
    });
    expect(silent.shown.badge).toBe('1');
    const item = (inbox.data.items as { page: string }[])[0];
    await silent.call(inbox, 'onOpen', { currentTarget: { dataset: { page: item?.page } } });
    const url = new URL(silent.shown.navigated, 'https://mp');
    const detail = await silent.open('// pages/notice/detail.js', { id: url.searchParams.get('id') });
    expect((detail.data.notice as NoticeData).me).toMatchObject({ state: 'read' });
    await silent.call(detail, 'onConfirm');
    expect((detail.data.notice as NoticeData).me).toMatchObject({ state: 'confirmed' });
    await silent.call(inbox, 'onShow');
    expect(silent.shown.badge).toBe('');

    // The push opens the same page for the student who got it.
    const pushed = await granted.open('// pages/notice/detail.js', {
      id: new URL(push.page ?? '', 'https://mp').searchParams.get('id'),
    });
    expect((pushed.data.notice as NoticeData).me).toMatchObject({ state: 'read' });

    // The teacher follows it (after both reads: nobody unread), reminds once, not twice in 10 minutes.
    await teacher.call(form, 'onRefresh');
    expect(form.data.stats).toMatchObject({ recipients: 2, read: 1, confirmed: 1 });
    expect(form.data.unread).toEqual([]);
    await teacher.call(form, 'onRemind');
    expect(form.data.problem).toBe('已提醒 0 人');
    await teacher.call(form, 'onRemind');
    expect(form.data.problem).toBe('10 分钟内只能提醒一次');

    // Retracted: the detail page says so.
    await teacher.api.deleteNotice!(notice.id);
    const gone = await silent.open('// pages/notice/detail.js', { id: notice.id });
    expect(gone.data.problem).toBe('该通知已撤回');
  });
});
