import { readFileSync } from 'node:fs';
import path from 'node:path';
import { useSandbox, type TestInstance } from '../support/harness';

/**
 * docs/client.md's group pages as a mini-program runs them: utils/api.js and the pages new, join
 * and members, taken from the page as printed, against a real tixing, one stand-in `wx` per phone
 * (as test/docs/client.test.ts's: wx.request answers every status through `success`).
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
function phone(base: string) {
  const user = `gphone${(phones += 1)}`;
  const storage = new Map<string, unknown>();
  const files = new Map<string, Buffer>(); // wx.downloadFile's temp files
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
      if (method === 'GET' && o.data) {
        const query = Object.entries(o.data).map(([k, v]): [string, string] => [k, String(v)]);
        url += `?${new URLSearchParams(query).toString()}`;
      } else if (o.data !== undefined) body = JSON.stringify(o.data);
      fetch(url, { method, headers: o.header, body }).then(
        async (res) => o.success({ statusCode: res.status, data: await res.json().catch(() => null) }),
        (err: Error) => o.fail({ errMsg: `request:fail ${err.message}` }),
      );
    },
    downloadFile(o: {
      url: string;
      header?: Record<string, string>;
      success: (r: { statusCode: number; tempFilePath: string }) => void;
      fail: (e: { errMsg: string }) => void;
    }) {
      fetch(o.url, { headers: o.header }).then(
        async (res) => {
          const tempFilePath = `wxfile://tmp_${user}_${files.size}`;
          files.set(tempFilePath, Buffer.from(await res.arrayBuffer()));
          o.success({ statusCode: res.status, tempFilePath });
        },
        (err: Error) => o.fail({ errMsg: `downloadFile:fail ${err.message}` }),
      );
    },
    setStorageSync: (k: string, v: unknown) => storage.set(k, v),
    getStorageSync: (k: string) => (storage.has(k) ? storage.get(k) : ''),
    removeStorageSync: (k: string) => storage.delete(k),
    showShareMenu: () => undefined,
    previewImage: () => undefined,
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
  /** Loads a page of the doc and calls its onLoad; resolves the page instance. */
  const open = async (firstLine: string, options: Json = {}): Promise<PageInstance> => {
    let definition: Json = {};
    load(block(firstLine), { Page: (d: Json) => (definition = d) }, (name) => {
      if (name !== '../../utils/api') throw new Error(`unexpected require ${name}`);
      return api;
    });
    const page: PageInstance = {
      ...definition,
      data: { ...(definition.data as Json) },
      setData(patch: Json) {
        for (const [key, value] of Object.entries(patch)) {
          const [head = '', sub] = key.split('.');
          if (sub === undefined) this.data[head] = value;
          else this.data[head] = { ...(this.data[head] as Json), [sub]: value };
        }
      },
    };
    if (typeof page.onLoad === 'function') await (page.onLoad as (o: Json) => unknown).call(page, options);
    return page;
  };
  const call = async (page: PageInstance, method: string, arg?: unknown) =>
    (page[method] as (a?: unknown) => unknown).call(page, arg);
  return { api, open, call, files };
}

const env = useSandbox();
let t: TestInstance;
let base: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  base = (await t.instance.listen(0, '127.0.0.1')).url;
});

interface GroupData {
  id: string;
  name: string;
  memberCount: number;
  invite: { code: string; path: string } | null;
  me: { memberId: string; role: string; displayName: string; studentNo: string };
}

describe('docs/client.md, the group pages', () => {
  it('creates a group, shows its QR code, joins by scan and by card, sets profiles, tags members', async () => {
    const teacher = phone(base);
    const lilei = phone(base);
    const hanmeimei = phone(base);

    const created = await teacher.open('// pages/group/new.js');
    await teacher.call(created, 'onCreate', {
      detail: { value: { name: '三年二班', description: '班级通知' } },
    });
    const group = created.data.group as GroupData;
    expect(group).toMatchObject({ name: '三年二班', memberCount: 1, me: { role: 'owner' } });
    const png = teacher.files.get(created.data.qrcode as string);
    expect(png?.subarray(1, 4).toString('ascii')).toBe('PNG');
    const code = group.invite?.code ?? '';
    expect(env.sandbox.wxacodes.calls.map((c) => [c.scene, c.page])).toEqual([[code, 'pages/group/join']]);
    const share = (await teacher.call(created, 'onShareAppMessage')) as { title: string; path: string };
    expect(share).toEqual({ title: '加入「三年二班」', path: `/pages/group/join?code=${code}` });

    // Li Lei scans the QR code: WeChat opens the page with the scene, URL-encoded.
    const scanned = await lilei.open('// pages/group/join.js', { scene: encodeURIComponent(code) });
    expect(scanned.data).toMatchObject({ problem: '', group: { id: group.id, me: { role: 'member' } } });
    await lilei.call(scanned, 'onSaveProfile', {
      detail: { value: { displayName: '李雷', studentNo: '01' } },
    });
    expect(scanned.data.group).toMatchObject({ me: { displayName: '李雷', studentNo: '01' } });
    await lilei.call(scanned, 'onSaveProfile', { detail: { value: { displayName: '', studentNo: '' } } });
    expect(scanned.data.problem).toBe('displayName is not allowed to be empty');
    // Opening it again (a second scan) is the same membership.
    const again = await lilei.open('// pages/group/join.js', { scene: encodeURIComponent(code) });
    expect((again.data.group as GroupData).me.memberId).toBe((scanned.data.group as GroupData).me.memberId);

    // Han Meimei taps the shared card; the query is the card's `code`.
    const cardCode = new URL(share.path, 'https://mp').searchParams.get('code') ?? '';
    const carded = await hanmeimei.open('// pages/group/join.js', { code: cardCode });
    const hers = (carded.data.group as GroupData).me.memberId;

    // The teacher's roster: everyone, then tagging one, then the tag filter.
    const members = await teacher.open('// pages/group/members.js', { id: group.id });
    expect((members.data.members as { displayName: string }[]).map((m) => m.displayName)).toEqual([
      '',
      '李雷',
      '',
    ]);
    await teacher.call(members, 'onTag', {
      currentTarget: { dataset: { memberId: hers, tags: ['班干部'] } },
    });
    await teacher.call(members, 'onFilter', { detail: { value: ' 班干部 ' } });
    expect((members.data.members as { memberId: string }[]).map((m) => m.memberId)).toEqual([hers]);

    // A rotated code: the new QR image, and the old code refused on the join page.
    await teacher.call(created, 'onRotate');
    const rotated = created.data.group as GroupData;
    expect(rotated.invite?.code).not.toBe(code);
    expect(env.sandbox.wxacodes.calls.map((c) => c.scene)).toEqual([code, rotated.invite?.code]);
    const stale = await phone(base).open('// pages/group/join.js', { scene: encodeURIComponent(code) });
    expect(stale.data).toMatchObject({ group: null, problem: '邀请码无效或已更换，请向老师索取新的' });
  });
});
