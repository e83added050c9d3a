import { clientPhone } from '../docs/client-phone';
import { bearer, login, useSandbox, type TestInstance } from '../support/harness';
import { PLACES, call } from './checkin-helpers';

/**
 * docs/client.md's check-in section as a mini-program runs it: `utils/api.js` and
 * `utils/checkin.js`, as printed, against a real tixing listening on a port, with a stand-in for
 * `wx` (wx.request through fetch, wx.login with sandbox codes, wx.getLocation answering a place).
 */
interface CheckinUtils {
  checkinIdFrom(options: Record<string, string>): string;
  signIn(
    checkin: { id: string; location: object | null },
    typed: string,
  ): Promise<{ status: string; distanceM: number | null }>;
  signProblem(err: unknown): string;
}

/** One phone: its `wx`, and the two modules loaded from the page. */
function phone(base: string, user: string, at: { lat: number; lng: number }) {
  const { api, load } = clientPhone(base, user, 'd', {
    getLocation(o: {
      type: string;
      success: (r: { latitude: number; longitude: number; accuracy: number }) => void;
    }) {
      if (o.type !== 'gcj02') throw new Error('the page asks for the fence’s coordinate type');
      setTimeout(() => o.success({ latitude: at.lat, longitude: at.lng, accuracy: 0 }), 1);
    },
  });
  return { api, checkin: load<CheckinUtils>('// utils/checkin.js') };
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
