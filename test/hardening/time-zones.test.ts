import request from 'supertest';
import { canonicalZone, knownZoneCount } from '../../src/domain/time-zone';
import { login, useSandbox, type TestInstance } from '../support/harness';

const env = useSandbox();
let t: TestInstance;
let token: string;

beforeAll(async () => {
  t = await env.start({ start: false });
  token = await login(t, 'zones#1');
});

const create = (body: object) =>
  request(t.instance.app.callback())
    .post('/api/reminders')
    .set('Authorization', `Bearer ${token}`)
    .send(body);

/** `Asia/Shanghai` in the i-th mix of letter cases. */
function variant(zone: string, i: number): string {
  let bit = 0;
  return [...zone]
    .map((c) => (/[a-z]/i.test(c) && (i >> bit++) & 1 ? c.toUpperCase() : c.toLowerCase()))
    .join('');
}

/** Records the timeZone of every Intl.DateTimeFormat built while `run` runs, luxon's included. */
async function zonesHandedToIntl(run: () => Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>();
  const Original = Intl.DateTimeFormat;
  const spy = function (this: unknown, locales?: string | string[], options?: Intl.DateTimeFormatOptions) {
    if (options?.timeZone !== undefined) seen.add(options.timeZone);
    return new Original(locales, options);
  } as unknown as typeof Intl.DateTimeFormat;
  Object.assign(spy, Original);
  Intl.DateTimeFormat = spy;
  try {
    await run();
  } finally {
    Intl.DateTimeFormat = Original;
  }
  return seen;
}

// docs/architecture.md#input-rules
describe('time zones', () => {
  it('matches a zone in any letter case and stores its canonical spelling', async () => {
    for (const [sent, stored] of [
      ['asia/SHANGHAI', 'Asia/Shanghai'],
      ['utc', 'UTC'],
      ['etc/gmt-8', 'Etc/GMT-8'],
      ['Asia/Kolkata', 'Asia/Kolkata'],
      ['america/argentina/buenos_aires', 'America/Argentina/Buenos_Aires'],
    ]) {
      const res = await create({ title: 'z', repeat: { daily: '08:00' }, timezone: sent });
      expect({ sent, status: res.status, timezone: res.body.data?.timezone }).toEqual({
        sent,
        status: 201,
        timezone: stored,
      });
      expect(await t.redis.hGet(t.instance.keys.reminder(res.body.data.id), 'timezone')).toBe(stored);
    }
  });

  it('refuses what is not an IANA name with a 400 naming timezone', async () => {
    for (const timezone of [
      'Mars/Base',
      'UTC+8',
      'local',
      'system',
      'Asia/Shanghai ',
      'Asia//Shanghai',
      '',
    ]) {
      const res = await create({ title: 'z', repeat: { daily: '08:00' }, timezone });
      expect({
        timezone,
        status: res.status,
        paths: res.body.details?.map((d: { path: string }) => d.path),
      }).toEqual({
        timezone,
        status: 400,
        paths: ['timezone'],
      });
    }
  });

  it('never hands a client spelling to Intl or luxon, on 201s and 400s alike', async () => {
    const sent = new Set<string>();
    const seen = await zonesHandedToIntl(async () => {
      for (let i = 1; i <= 120; i++) {
        const timezone = variant(i % 2 ? 'Asia/Shanghai' : 'America/New_York', i);
        sent.add(timezone);
        // Half are created, half end in 400 (a past at): neither may leave the spelling behind.
        const res = await create({
          title: 'z',
          timezone,
          ...(i % 3 ? { at: Date.now() - 1000 } : { repeat: { daily: '09:00' } }),
        });
        expect([201, 400]).toContain(res.status);
      }
      for (let i = 0; i < 50; i++)
        await create({ title: 'z', repeat: { daily: '09:00' }, timezone: `Nowhere/Zone${i}` });
    });
    const clientSpellings = [...seen].filter((zone) => canonicalZone(zone) !== zone);
    expect(clientSpellings).toEqual([]);
    expect(seen.size).toBeLessThanOrEqual(3); // the two zones above, and UTC at most
    // Positive controls: 120 distinct spellings were sent, and the spy saw the zone first used here.
    expect(sent.size).toBe(120);
    expect(seen.has('America/New_York')).toBe(true);
  });

  it('holds a fixed table of names, the bound of every cache keyed by a zone', () => {
    expect(knownZoneCount()).toBeGreaterThan(400);
    expect(knownZoneCount()).toBeLessThan(1000);
    expect(canonicalZone('A'.repeat(10_000))).toBeNull();
    expect(canonicalZone('ASIA/SHANGHAI')).toBe('Asia/Shanghai');
  });
});
