import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { useSandbox, type TestInstance } from '../support/harness';

/**
 * docs/client.md as a mini-program would run it: `utils/api.js` and `utils/edit.js` are taken from
 * the page as printed and run against a real tixing, with a stand-in for the `wx` object that
 * behaves like the runtime (wx.request answers every HTTP status through `success`, GET data
 * becomes the query string, getStorageSync answers '' for a missing key).
 */
const CLIENT_MD = readFileSync(path.join(__dirname, '..', '..', 'docs', 'client.md'), 'utf8');
const TEMPLATE = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';

const jsBlocks = [...CLIENT_MD.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

function block(firstLine: string): string {
  const found = jsBlocks.find((code) => code.startsWith(firstLine));
  if (!found) throw new Error(`docs/client.md has no js block starting with ${firstLine}`);
  return found;
}

interface ApiErrorLike extends Error {
  statusCode: number;
  errcode: number;
  details: { path: string; message: string }[];
}
type Json = Record<string, unknown>;
interface ClientApi {
  call(method: string, path: string, data?: unknown): Promise<unknown>;
  login(): Promise<string>;
  fieldErrors(err: unknown): Record<string, string>;
  reportSubscriptions(result: Json): Promise<{ quota: Record<string, number>; counted: boolean }>;
  subscriptions(): Promise<{ quota: Record<string, number> }>;
  createReminder(reminder: Json, idempotencyKey?: string): Promise<Json & { id: string }>;
  listReminders(query?: Json): Promise<{ items: (Json & { id: string })[]; nextCursor: string | null }>;
  getReminder(id: string): Promise<Json>;
  cancelReminder(id: string): Promise<Json>;
  createPromise(type: string, promise: Json): Promise<Json>;
  markDone(id: string): Promise<Json>;
  snooze(id: string, minutes: number): Promise<Json>;
  exportMyData(): Promise<Json>;
  eraseMe(): Promise<{ erasedAt: string; records: Record<string, number> }>;
}

interface RequestOptions {
  url: string;
  method?: string;
  data?: Record<string, string | number>;
  header?: Record<string, string>;
  success: (res: { statusCode: number; data: unknown; header: Record<string, string> }) => void;
  fail: (err: { errMsg: string }) => void;
}

let users = 0;

/** A stand-in for the mini-program's `wx` of one user (one phone), counting logins. */
function fakeWx() {
  const storage = new Map<string, unknown>();
  const user = `client${(users += 1)}`;
  let codes = 0;
  const wx = {
    logins: 0,
    storage,
    login(options: { success: (res: { code: string; errMsg: string }) => void }) {
      wx.logins += 1;
      codes += 1;
      setTimeout(() => options.success({ code: `${user}#${codes}`, errMsg: 'login:ok' }), 1);
    },
    request(options: RequestOptions) {
      const method = options.method ?? 'GET';
      let url = options.url;
      let body: string | undefined;
      if (method === 'GET' && options.data) {
        const query = Object.entries(options.data).map(([k, v]): [string, string] => [k, String(v)]);
        url += `?${new URLSearchParams(query).toString()}`;
      } else if (options.data !== undefined) {
        body = JSON.stringify(options.data);
      }
      fetch(url, { method, headers: options.header, body }).then(
        async (res) => {
          const text = await res.text();
          let data: unknown = text;
          try {
            data = JSON.parse(text);
          } catch {
            // not JSON: handed over as text, as dataType 'json' does
          }
          options.success({ statusCode: res.status, data, header: Object.fromEntries(res.headers) });
        },
        (err: Error) => options.fail({ errMsg: `request:fail ${err.message}` }),
      );
    },
    setStorageSync: (key: string, value: unknown) => storage.set(key, structuredClone(value)),
    getStorageSync: (key: string) => (storage.has(key) ? storage.get(key) : ''),
    removeStorageSync: (key: string) => storage.delete(key),
  };
  return wx;
}

/** Loads utils/api.js (and utils/edit.js) from the page with BASE_URL pointing at `base`. */
function loadClient(base: string) {
  const wx = fakeWx();
  const source = block('// utils/api.js').replace(
    /const BASE_URL = '[^']*';/,
    `const BASE_URL = ${JSON.stringify(base)};`,
  );
  if (!source.includes(JSON.stringify(base))) throw new Error('BASE_URL not found in utils/api.js');
  const load = (code: string, requireFn: (name: string) => unknown) => {
    const module = { exports: {} as unknown };
    new Function('wx', 'module', 'exports', 'require', code)(wx, module, module.exports, requireFn);
    return module.exports;
  };
  const api = load(source, () => {
    throw new Error('utils/api.js requires nothing');
  }) as ClientApi;
  const edit = load(block('// utils/edit.js'), (name) => {
    if (name !== './api') throw new Error(`unexpected require ${name}`);
    return api;
  }) as { editReminder(reminder: Json, changes: Json): Promise<Json & { id: string }> };
  return { wx, api, edit };
}

/** Tomorrow (UTC date) at 08:30 in Shanghai, as the create page builds `at`: always in the future. */
function tomorrowAt0830(): string {
  return `${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}T08:30:00+08:00`;
}

const env = useSandbox();
let t: TestInstance;
let base: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  base = (await t.instance.listen(0, '127.0.0.1')).url;
});

describe('docs/client.md', () => {
  it('has only JavaScript that parses', () => {
    expect(jsBlocks.length).toBeGreaterThan(5);
    for (const code of jsBlocks) expect(() => new vm.Script(code)).not.toThrow();
  });

  it('logs in on first use, once for calls made at the same time, and stores the session', async () => {
    const { wx, api } = loadClient(base);
    const [page, view] = await Promise.all([api.listReminders({ limit: 5 }), api.subscriptions()]);
    expect(page.items).toEqual([]);
    expect(view.quota).toEqual({});
    expect(wx.logins).toBe(1);
    expect(wx.storage.get('tixing.session')).toEqual({
      token: expect.any(String),
      expiresAt: expect.any(String),
    });
  });

  it('reports the result of wx.requestSubscribeMessage as it is', async () => {
    const { api } = loadClient(base);
    const answer = await api.reportSubscriptions({
      errMsg: 'requestSubscribeMessage:ok',
      [TEMPLATE]: 'accept',
    });
    expect(answer).toEqual({ quota: { [TEMPLATE]: 1 }, counted: true, ignored: [] });
  });

  it('creates a reminder (once per Idempotency-Key) and a promise, and lists them page by page', async () => {
    const { api } = loadClient(base);
    const reminder = { title: '喝水', at: tomorrowAt0830() };
    const first = await api.createReminder(reminder, 'save-1');
    const retried = await api.createReminder(reminder, 'save-1');
    expect(retried.id).toBe(first.id);
    expect(first).toMatchObject({ kind: 'reminder', status: 'pending', title: '喝水' });
    const promise = await api.createPromise('give', { cid: 42, hour: 21, min: 0, detail: '给小明打电话' });
    expect(promise).toMatchObject({ kind: 'give', cid: '42', repeat: { daily: '21:00' } });

    const one = await api.listReminders({ limit: 1 });
    expect(one.items.map((r) => r.id)).toEqual([promise.id]);
    expect(one.nextCursor).not.toBeNull();
    const two = await api.listReminders({ limit: 1, cursor: one.nextCursor });
    expect(two.items.map((r) => r.id)).toEqual([first.id]);
  });

  it('answers the quota hint on create, marks a reminder done and snoozes one', async () => {
    const { api } = loadClient(base);
    const once = await api.createReminder({ title: '吃药', at: tomorrowAt0830() });
    // This instance runs QUOTA_MODE=ignore (the tests' default): the ledger's count, and the mode.
    expect(once.quota).toEqual({ templateId: TEMPLATE, remaining: 0, mode: 'ignore' });
    expect(await api.markDone(once.id)).toMatchObject({ id: once.id, status: 'done', nextFireAt: null });

    const later = await api.createReminder({ title: '散步', at: tomorrowAt0830() });
    const snoozed = await api.snooze(later.id, 5); // a pending one-shot: sent in 5 minutes instead
    expect(Math.abs(Date.parse(String(snoozed.nextFireAt)) - (Date.now() + 5 * 60_000))).toBeLessThan(5000);
  });

  it('exports the user’s data, erases it, and forgets the dead session', async () => {
    const { wx, api } = loadClient(base);
    const created = await api.createReminder({ title: '喝水', at: tomorrowAt0830() });
    const mine = await api.exportMyData();
    expect(mine).toMatchObject({ reminders: [expect.objectContaining({ id: created.id })] });

    const erased = await api.eraseMe();

    expect(erased.records).toMatchObject({ account: 1, reminders: 1 });
    expect(wx.storage.has('tixing.session')).toBe(false);
    // A later call starts afresh: a new login, and nothing of before.
    expect((await api.listReminders()).items).toEqual([]);
    expect(wx.logins).toBe(2);
  });

  it('edits in place with PUT, keeping the id', async () => {
    const { api, edit } = loadClient(base);
    const original = await api.createReminder({ title: '喝水', detail: '一杯', at: tomorrowAt0830() });
    const edited = await edit.editReminder(original, { title: '喝两杯水' });
    expect(edited).toMatchObject({
      id: original.id,
      title: '喝两杯水',
      detail: '一杯',
      nextFireAt: original.nextFireAt,
    });
    expect(await api.getReminder(original.id)).toMatchObject({ status: 'pending', title: '喝两杯水' });
  });

  it('logs in again and retries once when the session is gone (401)', async () => {
    const { wx, api } = loadClient(base);
    const token = await api.login();
    await t.redis.del(t.instance.keys.session(token));
    await expect(api.listReminders()).resolves.toMatchObject({ items: expect.any(Array) });
    expect(wx.logins).toBe(2);
  });

  it('logs in again when the stored session is about to expire, without a 401', async () => {
    const { wx, api } = loadClient(base);
    const token = await api.login();
    wx.setStorageSync('tixing.session', { token, expiresAt: new Date(Date.now() + 1000).toISOString() });
    await api.subscriptions();
    expect(wx.logins).toBe(2);
  });

  it('throws a second 401 after one new login instead of looping', async () => {
    const { wx, api } = loadClient(base);
    await api.login();
    // A user token on the admin API is refused whatever the session.
    const err = (await api.call('GET', '/api/admin/stats').catch((e: unknown) => e)) as ApiErrorLike;
    expect(err).toMatchObject({ name: 'Error', statusCode: 401, errcode: 40103 });
    expect(wx.logins).toBe(2);
  });

  it('hands 400 details over as ApiError.details and fieldErrors', async () => {
    const { api } = loadClient(base);
    const err = (await api
      .createReminder({ title: '', at: 'yesterday' })
      .catch((e: unknown) => e)) as ApiErrorLike;
    expect(err.statusCode).toBe(400);
    expect(err.errcode).toBe(40001);
    expect(Object.keys(api.fieldErrors(err)).sort()).toEqual(['at', 'title']);
  });

  it('turns a network failure into an ApiError with statusCode 0', async () => {
    const { api } = loadClient('http://127.0.0.1:1');
    const err = (await api.subscriptions().catch((e: unknown) => e)) as ApiErrorLike;
    expect(err).toMatchObject({ statusCode: 0, errcode: -1 });
    expect(err.message).toMatch(/^request:fail/);
  });
});
