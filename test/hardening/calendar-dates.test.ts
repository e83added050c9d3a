import request from 'supertest';
import { login, useSandbox, type TestInstance } from '../support/harness';
import { data, type ReminderPageView } from '../support/api-types';

// The clock is fixed so that 29 February of a leap year is within the 366 days `at` may be ahead.
const NOW = Date.UTC(2027, 10, 1);
const common = 2027;
const leap = 2028;
const env = useSandbox();
let t: TestInstance;
let token: string;

beforeAll(async () => {
  t = await env.start({ start: false, now: () => NOW });
  token = await login(t, 'dates#1');
});

const api = () => request(t.instance.app.callback());
const auth = () => ({ Authorization: `Bearer ${token}` });

async function pending(): Promise<number> {
  return data<ReminderPageView>(await api().get('/api/reminders?limit=100').set(auth())).items.length;
}

// docs/architecture.md#input-rules
describe('dates that do not exist', () => {
  it.each([
    [`${common}-02-29T08:00+08:00`, `February ${common} has 28 days`],
    [`${common}-02-30T08:00+08:00`, `February ${common} has 28 days`],
    [`${leap}-02-30T08:00:00Z`, `February ${leap} has 29 days`],
    [`${common}-04-31T08:00:00+08:00`, `April ${common} has 30 days`],
    [`${common}-13-01T08:00+08:00`, 'there is no month 13'],
    [`${common}-00-10T08:00+08:00`, 'there is no month 00'],
    [`${common}-06-00T08:00+08:00`, `June ${common} has 30 days`],
    [`${common}-06-10T24:00+08:00`, 'hours 00–23'],
    [`${common}-06-10T08:60+08:00`, 'minutes and seconds 00–59'],
    [`${common}-06-10T08:00+25:00`, 'offset'],
  ])('answers at %s with 400 naming at, and stores nothing', async (at, reason) => {
    const before = await pending();
    const res = await api().post('/api/reminders').set(auth()).send({ title: 'date', at });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ path: 'at', message: expect.stringContaining(reason) }]);
    expect(await pending()).toBe(before);
  });

  it('takes the days that exist, 29 February of a leap year included, at the instant they name', async () => {
    for (const at of [
      `${leap}-02-29T08:00+08:00`,
      `${leap}-02-28T23:59:59.5-05:30`,
      `${common}-12-31T00:00Z`,
    ]) {
      const res = await api().post('/api/reminders').set(auth()).send({ title: 'date', at });
      expect({ at, status: res.status, body: res.status === 201 ? null : res.body }).toEqual({
        at,
        status: 201,
        body: null,
      });
      expect(res.body.data.nextFireAt).toBe(new Date(Date.parse(at)).toISOString());
    }
  });

  it('refuses an impossible date on an edit, naming at, and keeps the reminder as it was', async () => {
    const created = await api()
      .post('/api/reminders')
      .set(auth())
      .send({ title: 'edit', at: NOW + 3_600_000 });
    const patched = await api()
      .patch(`/api/reminders/${created.body.data.id}`)
      .set(auth())
      .send({ at: `${leap}-02-30T08:00+08:00` });
    expect(patched.status).toBe(400);
    expect(patched.body.details.map((d: { path: string }) => d.path)).toEqual(['at']);
    const kept = await api().get(`/api/reminders/${created.body.data.id}`).set(auth());
    expect(kept.body.data.nextFireAt).toBe(created.body.data.nextFireAt);
  });
});
