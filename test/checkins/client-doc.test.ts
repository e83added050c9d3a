import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { PLACES, call } from './checkin-helpers';

/**
 * docs/client.md's check-in section as a mini-program runs it: `utils/api.js` and
 * `utils/checkin.js`, as printed, against a real tixing listening on a port, with a stand-in for
 * `wx` (wx.request through fetch, wx.login with sandbox codes, wx.getLocation answering a place).
 */
const CLIENT_MD = readFileSync(path.join(__dirname, '..', '..', 'docs', 'client.md'), 'utf8');
const blocks = [...CLIENT_MD.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
const block = (first: string) => {
  const found = blocks.find((code) => code.startsWith(first));
  if (!found) throw new Error(`docs/client.md has no js block starting with ${first}`);
  return found;
};

interface CheckinUtils {
  checkinIdFrom(options: Record<string, string>): string;
  signIn(
    checkin: { id: string; location: object | null },
    typed: string,
  ): Promise<{ status: string; distanceM: number | null }>;
  signProblem(err: unknown): string;
}
interface Api {
  call(method: string, path: string, data?: unknown): Promise<Record<string, unknown>>;
}

let phones = 0;

/** One phone: its `wx`, and the two modules loaded from the page. */
function phone(base: string, user: string, at: { lat: number; lng: number }) {
  phones += 1;
  const storage = new Map<string, unknown>();
  let codes = 0;
  const wx = {
    login: (o: { success: (r: { code: string }) => void }) =>
      setTimeout(() => o.success({ code: `${user}#d${phones}.${++codes}` }), 1),
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
    getLocation(o: {
      type: string;
      success: (r: { latitude: number; longitude: number; accuracy: number }) => void;
    }) {
      if (o.type !== 'gcj02') throw new Error('the page asks for the fence’s coordinate type');
      setTimeout(() => o.success({ latitude: at.lat, longitude: at.lng, accuracy: 0 }), 1);
    },
    setStorageSync: (k: string, v: unknown) => storage.set(k, v),
    getStorageSync: (k: string) => (storage.has(k) ? storage.get(k) : ''),
    removeStorageSync: (k: string) => storage.delete(k),
  };
  const load = (code: string, requireFn: (name: string) => unknown) => {
    const module = { exports: {} as unknown };
    new Function('wx', 'module', 'exports', 'require', code)(wx, module, module.exports, requireFn);
    return module.exports;
  };
  const api = load(
    block('// utils/api.js').replace(
      /const BASE_URL = '[^']*';/,
      `const BASE_URL = ${JSON.stringify(base)};`,
    ),
    () => {
      throw new Error('utils/api.js requires nothing');
    },
  ) as Api;
  const checkin = load(block('// utils/checkin.js'), (name) => {
    if (name !== './api') throw new Error(`unexpected require ${name}`);
    return api;
  }) as CheckinUtils;
  return { api, checkin };
}

const env = useSandbox();
let t: TestInstance;
let base: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  base = (await t.instance.listen(0, '127.0.0.1')).url;
});

describe('docs/client.md: signing in to a check-in', () => {
  it('reads the check-in from the QR code’s scene or a push’s id', () => {
    const { checkin } = phone(base, 'nobody', PLACES.room);
    expect(checkin.checkinIdFrom({ scene: encodeURIComponent('c=12') })).toBe('12');
    expect(checkin.checkinIdFrom({ id: '7' })).toBe('7');
    expect(checkin.checkinIdFrom({ scene: 'K7QF2MZA' })).toBe('');
  });

  it('signs in near the room with the code on the screen, and tells one 2 km away why not', async () => {
    const manager = bearer(await login(t, 'doc-manager#1'));
    const group = (await call(t).post('/api/groups').set(manager).send({ name: '文档班' })).body.data;
    const near = phone(base, 'doc-near', PLACES.near);
    const far = phone(base, 'doc-far', PLACES.far);
    for (const p of [near, far]) await p.api.call('POST', '/api/groups/join', { code: group.invite.code });
    const now = Date.now();
    const created = (
      await call(t)
        .post(`/api/groups/${group.id}/checkins`)
        .set(manager)
        .send({
          title: '周一班会',
          startsAt: now,
          endsAt: now + 3_600_000,
          location: { ...PLACES.room, radiusM: 300 },
        })
    ).body.data;
    const shown = (await call(t).get(`/api/checkins/${created.id}/code?qrcode=false`).set(manager)).body;

    // the page: GET the check-in named by the scene, then sign in with the typed code
    const opened = { scene: encodeURIComponent(created.scene as string) };
    const seen = await near.api.call('GET', `/api/checkins/${near.checkin.checkinIdFrom(opened)}`);
    const result = await near.checkin.signIn(
      seen as { id: string; location: object | null },
      ` ${shown.data.code} `,
    );
    expect(result).toMatchObject({ status: 'on_time', distanceM: 100 });

    const refused = await far.checkin
      .signIn(seen as { id: string; location: object | null }, shown.data.code)
      .catch((err: unknown) => err);
    expect(far.checkin.signProblem(refused)).toBe('你离会场太远了');
    const again = await near.checkin
      .signIn(seen as { id: string; location: object | null }, shown.data.code)
      .catch((err: unknown) => err);
    expect(near.checkin.signProblem(again)).toBe('你已经签到过了');
  });
});
