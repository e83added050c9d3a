import { CronExpressionParser } from 'cron-parser';
import { DateTime } from 'luxon';
import {
  firstOccurrence,
  isValidTimezone,
  latestOccurrenceAtOrBefore,
  nextOccurrence,
  validateRepeat,
  type Repeat,
} from '../../src/scheduler/recurrence';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const NY = 'America/New_York';
const SHANGHAI = 'Asia/Shanghai';
const LONDON = 'Europe/London';
const LORD_HOWE = 'Australia/Lord_Howe';

const utc = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const local = (ms: number, zone: string): string =>
  DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm:ss ZZ');

/** Calls nextOccurrence on its own output, the way the scheduler does after each claim. */
function chain(repeat: Repeat, zone: string, fromMs: number, count: number): number[] {
  const out: number[] = [];
  let at = fromMs;
  for (let i = 0; i < count; i++) {
    at = nextOccurrence(repeat, zone, at);
    out.push(at);
  }
  return out;
}

describe('isValidTimezone', () => {
  it('accepts IANA zone names', () => {
    for (const zone of [SHANGHAI, NY, LONDON, LORD_HOWE, 'UTC', 'Etc/GMT-8']) {
      expect(isValidTimezone(zone)).toBe(true);
    }
  });

  it('rejects unknown names, empty strings and bare offsets', () => {
    for (const zone of ['Mars/Olympus_Mons', '', '+08:00', 'UTC+8', 'Beijing']) {
      expect(isValidTimezone(zone)).toBe(false);
    }
  });
});

describe('validateRepeat', () => {
  it('accepts daily times from 00:00 to 23:59', () => {
    for (const daily of ['00:00', '08:30', '12:05', '23:59']) expect(validateRepeat({ daily })).toBeNull();
  });

  it('rejects daily values that are not HH:mm on the 24-hour clock, at repeat.daily', () => {
    for (const daily of ['24:00', '8:30', '08:60', '0830', '08:30:00', ' 08:30', '', 830, null]) {
      expect(validateRepeat({ daily })).toEqual({ path: 'repeat.daily', message: expect.any(String) });
    }
  });

  it('accepts 5-field crons and 6-field crons with the seconds first', () => {
    for (const cron of [
      '30 8 * * 1-5',
      '30 8 * * MON-FRI',
      '0 9 * * THU',
      '*/15 9-17 * * *',
      '* * * * *',
      '0 0 L * *',
      '0 10 * * 1#2',
      '0 9 29 2 *',
      '15 30 8 * * *',
      '0 */5 * * * *',
      '  30 8  * * *  ',
    ]) {
      expect(validateRepeat({ cron })).toBeNull();
    }
  });

  it('rejects a cron without 5 or 6 fields, naming the count', () => {
    expect(validateRepeat({ cron: '30 8 * *' })).toEqual({
      path: 'repeat.cron',
      message: expect.stringContaining('(got 4)'),
    });
    expect(validateRepeat({ cron: '0 30 8 * * * 2027' })?.message).toContain('(got 7)');
    expect(validateRepeat({ cron: '@daily' })?.message).toContain('(got 1)');
    expect(validateRepeat({ cron: '   ' })?.message).toContain('(got 0)');
  });

  it('rejects out-of-range and malformed cron fields with the reason', () => {
    for (const cron of ['61 * * * *', '0 25 * * *', '*/0 * * * *', '0 8 * * funday', '0 8 1W * *']) {
      expect(validateRepeat({ cron })).toEqual({
        path: 'repeat.cron',
        message: expect.stringMatching(/^is not a valid cron expression: /),
      });
    }
  });

  it('rejects a 6-field cron that fires more than once a minute', () => {
    for (const cron of ['* * * * * *', '*/30 * * * * *', '0,30 * 8 * * *', '1-2 0 8 * * *']) {
      expect(validateRepeat({ cron })).toEqual({
        path: 'repeat.cron',
        message: 'must not fire more than once a minute; give the seconds field a single value',
      });
    }
  });

  it('rejects crons that never fire, such as 30 February', () => {
    for (const cron of ['0 9 30 2 *', '0 9 31 4,6,9,11 *', '0 0 9 31 2 *']) {
      expect(validateRepeat({ cron })).toEqual({
        path: 'repeat.cron',
        message: 'never fires: none of its months has that day of the month',
      });
    }
  });

  it('rejects hashed H values, which cron-parser would randomise on every parse', () => {
    expect(validateRepeat({ cron: 'H 8 * * *' })?.message).toContain('H (hashed)');
    expect(validateRepeat({ cron: '0 H/2 * * *' })?.path).toBe('repeat.cron');
  });

  it('rejects a cron that is not a string or is too long, at repeat.cron', () => {
    expect(validateRepeat({ cron: 5 })).toEqual({ path: 'repeat.cron', message: expect.any(String) });
    expect(validateRepeat({ cron: `0 8 ${'1,'.repeat(80)}1 * *` })?.message).toContain('at most 128');
  });

  it('rejects both keys, neither key, unknown keys and non-objects', () => {
    expect(validateRepeat({ daily: '08:30', cron: '30 8 * * *' })).toEqual({
      path: 'repeat',
      message: 'must have either daily or cron, not both',
    });
    expect(validateRepeat({})).toEqual({ path: 'repeat', message: 'must have daily or cron' });
    expect(validateRepeat({ weekly: 'MON' })).toEqual({ path: 'repeat.weekly', message: expect.any(String) });
    for (const repeat of [null, undefined, '08:30', ['08:30']]) {
      expect(validateRepeat(repeat)?.path).toBe('repeat');
    }
  });
});

describe('nextOccurrence — daily', () => {
  const daily = (time: string): Repeat => ({ daily: time });

  it('fires at the wall time in Asia/Shanghai (UTC+8, no DST), today or tomorrow', () => {
    // 08:29 and 08:30 local on 2026-05-01.
    expect(iso(nextOccurrence(daily('08:30'), SHANGHAI, utc('2026-05-01T00:29:00Z')))).toBe(
      '2026-05-01T00:30:00.000Z',
    );
    expect(iso(nextOccurrence(daily('08:30'), SHANGHAI, utc('2026-05-01T00:30:00Z')))).toBe(
      '2026-05-02T00:30:00.000Z',
    );
  });

  it('crosses month, leap-day and year ends in Asia/Shanghai', () => {
    expect(iso(nextOccurrence(daily('08:30'), SHANGHAI, utc('2026-01-31T00:30:00Z')))).toBe(
      '2026-02-01T00:30:00.000Z',
    );
    expect(iso(nextOccurrence(daily('08:30'), SHANGHAI, utc('2028-02-28T00:30:00Z')))).toBe(
      '2028-02-29T00:30:00.000Z',
    );
    // 23:59 local on 31 December is 15:59Z; 00:00 local on 1 January is 16:00Z on 31 December.
    expect(iso(nextOccurrence(daily('23:59'), SHANGHAI, utc('2026-12-31T15:59:00Z')))).toBe(
      '2027-01-01T15:59:00.000Z',
    );
    expect(iso(nextOccurrence(daily('00:00'), SHANGHAI, utc('2026-12-31T15:59:00Z')))).toBe(
      '2026-12-31T16:00:00.000Z',
    );
  });

  it('fires a 02:30 New York reminder at 03:30 EDT on 2026-03-08, when 02:30 does not exist', () => {
    expect(chain(daily('02:30'), NY, utc('2026-03-06T12:00:00Z'), 3).map(iso)).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:30:00.000Z', // 02:30 skipped: 03:30 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('fires a 02:30 New York reminder once a day across the 2026-11-01 fall-back', () => {
    // Clocks go from 02:00 EDT back to 01:00 EST, so 02:30 happens once, in EST.
    expect(chain(daily('02:30'), NY, utc('2026-10-30T12:00:00Z'), 3).map(iso)).toEqual([
      '2026-10-31T06:30:00.000Z', // 02:30 EDT
      '2026-11-01T07:30:00.000Z', // 02:30 EST
      '2026-11-02T07:30:00.000Z',
    ]);
  });

  it('fires a 01:30 New York reminder once on the fall-back day, at the first 01:30', () => {
    expect(chain(daily('01:30'), NY, utc('2026-10-31T12:00:00Z'), 2).map(iso)).toEqual([
      '2026-11-01T05:30:00.000Z', // 01:30 EDT; the 01:30 EST an hour later is skipped
      '2026-11-02T06:30:00.000Z', // 01:30 EST
    ]);
    // Asked from inside the repeated hour (01:15 EST), the second 01:30 is still not an occurrence.
    expect(iso(nextOccurrence(daily('01:30'), NY, utc('2026-11-01T06:15:00Z')))).toBe(
      '2026-11-02T06:30:00.000Z',
    );
  });

  it('follows Europe/London across both 2026 switches', () => {
    // 2026-03-29: 01:00 GMT jumps to 02:00 BST, so 01:30 becomes 02:30 BST.
    expect(iso(nextOccurrence(daily('01:30'), LONDON, utc('2026-03-28T12:00:00Z')))).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // 2026-10-25: 02:00 BST falls back to 01:00 GMT; the first 01:30 (BST) fires, once.
    expect(chain(daily('01:30'), LONDON, utc('2026-10-24T12:00:00Z'), 2).map(iso)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('follows Australia/Lord_Howe, whose clocks move by 30 minutes', () => {
    // 2026-10-04: 02:00 (+10:30) jumps to 02:30 (+11), so 02:15 becomes 02:45 (+11).
    expect(iso(nextOccurrence(daily('02:15'), LORD_HOWE, utc('2026-10-03T00:00:00Z')))).toBe(
      '2026-10-03T15:45:00.000Z',
    );
    // 2026-04-05: 02:00 (+11) falls back to 01:30 (+10:30); 01:45 fires once, at +11.
    expect(chain(daily('01:45'), LORD_HOWE, utc('2026-04-04T00:00:00Z'), 2).map(iso)).toEqual([
      '2026-04-04T14:45:00.000Z',
      '2026-04-05T15:15:00.000Z',
    ]);
  });

  it('chained on its own output for 400 days never drifts and never repeats', () => {
    const fired = chain(daily('02:30'), NY, utc('2026-03-01T12:00:00Z'), 400);
    const walls = fired.map((ms) => DateTime.fromMillis(ms, { zone: NY }));
    const days = new Set(walls.map((w) => w.toISODate()));
    expect(days.size).toBe(400);
    for (let i = 1; i < fired.length; i++) {
      expect(fired[i]).toBeGreaterThan(fired[i - 1] as number);
      expect(walls[i]?.diff(walls[i - 1] as DateTime, 'days').days).toBeCloseTo(1, 1);
    }
    // 2026-03-02 … 2027-04-05 spans two spring-forwards and a fall-back; only the spring-forward
    // days move, and only on that day.
    const off = walls
      .filter((w) => w.toFormat('HH:mm') !== '02:30')
      .map((w) => w.toFormat('yyyy-MM-dd HH:mm'));
    expect(off).toEqual(['2026-03-08 03:30', '2027-03-14 03:30']);
    expect(walls.at(-1)?.toFormat('yyyy-MM-dd HH:mm')).toBe('2027-04-05 02:30');
  });

  it('chained in a zone without DST is exactly one day apart every time', () => {
    const fired = chain(daily('08:30'), SHANGHAI, utc('2026-01-01T00:00:00Z'), 400);
    for (let i = 1; i < fired.length; i++) expect((fired[i] as number) - (fired[i - 1] as number)).toBe(DAY);
  });
});

describe('nextOccurrence — cron', () => {
  const cron = (expression: string): Repeat => ({ cron: expression });

  it('fires a 5-field weekday cron at its wall time, skipping the weekend', () => {
    // 2026-05-08 is a Friday; 08:30 Shanghai is 00:30Z.
    expect(chain(cron('30 8 * * 1-5'), SHANGHAI, utc('2026-05-08T00:30:00Z'), 2).map(iso)).toEqual([
      '2026-05-11T00:30:00.000Z',
      '2026-05-12T00:30:00.000Z',
    ]);
  });

  it('fires a 6-field cron at its second', () => {
    expect(iso(nextOccurrence(cron('15 30 8 * * *'), SHANGHAI, utc('2026-05-08T00:30:00Z')))).toBe(
      '2026-05-08T00:30:15.000Z',
    );
    expect(iso(nextOccurrence(cron('15 30 8 * * *'), SHANGHAI, utc('2026-05-08T00:30:15Z')))).toBe(
      '2026-05-09T00:30:15.000Z',
    );
  });

  it('agrees with the daily rule for "m h * * *" for 500 days in zones with DST', () => {
    for (const [zone, time] of [
      [NY, '02:30'],
      [NY, '01:30'],
      [LONDON, '01:30'],
      [LORD_HOWE, '02:15'],
      [LORD_HOWE, '01:45'],
    ] as const) {
      const [h, m] = time.split(':');
      const from = utc('2026-01-01T00:00:00Z');
      expect(chain(cron(`${m} ${h} * * *`), zone, from, 500)).toEqual(
        chain({ daily: time }, zone, from, 500),
      );
    }
  });

  it('fires every skipped slot of "*/15 2 * * *" on the New York spring-forward day, each from the last', () => {
    expect(chain(cron('*/15 2 * * *'), NY, utc('2026-03-08T05:00:00Z'), 5).map(iso)).toEqual([
      '2026-03-08T07:00:00.000Z', // 02:00 → 03:00 EDT
      '2026-03-08T07:15:00.000Z',
      '2026-03-08T07:30:00.000Z',
      '2026-03-08T07:45:00.000Z',
      '2026-03-09T06:00:00.000Z', // 02:00 EDT
    ]);
  });

  it('keeps a 6-field "0 */20 * * * *" silent for the repeated New York hour on 2026-11-01', () => {
    expect(
      chain(cron('0 */20 * * * *'), NY, utc('2026-11-01T04:30:00Z'), 6).map((ms) => local(ms, NY)),
    ).toEqual([
      '2026-11-01 00:40:00 -04:00',
      '2026-11-01 01:00:00 -04:00',
      '2026-11-01 01:20:00 -04:00',
      '2026-11-01 01:40:00 -04:00',
      '2026-11-01 02:00:00 -05:00',
      '2026-11-01 02:20:00 -05:00',
    ]);
  });

  it('orders a Lord Howe cron whose skipped slot lands after an existing one', () => {
    // 02:20 is skipped and becomes 02:50 (+11), after the real 02:30.
    expect(chain(cron('20,30 2 * * *'), LORD_HOWE, utc('2026-10-03T12:00:00Z'), 3).map(iso)).toEqual([
      '2026-10-03T15:30:00.000Z', // 02:30 +11
      '2026-10-03T15:50:00.000Z', // 02:20 → 02:50 +11
      '2026-10-04T15:20:00.000Z', // 02:20 +11 the next day
    ]);
  });

  it('counts a wall time that lands on an existing one as a single occurrence', () => {
    // On 2026-03-08 02:00 and 03:00 New York are both 07:00Z.
    expect(chain(cron('0 2,3 * * *'), NY, utc('2026-03-08T05:00:00Z'), 2).map(iso)).toEqual([
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:00:00.000Z',
    ]);
  });
});

/**
 * Brute force, independent of the module: walk every UTC minute of a window to learn which instant
 * first shows each wall minute, and where the clock jumps. A skipped wall minute happens as late as
 * the gap is long: at the jump plus its distance into the gap.
 */
function wallMinutes(zone: string, fromMs: number, toMs: number): Map<number, number> {
  const instantOf = new Map<number, number>();
  let previousWall: number | null = null;
  for (let t = fromMs - 3 * HOUR; t <= toMs + 3 * HOUR; t += MINUTE) {
    const dt = DateTime.fromMillis(t, { zone });
    const wall = Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute);
    if (previousWall !== null) {
      for (let skipped = previousWall + MINUTE; skipped < wall; skipped += MINUTE) {
        instantOf.set(skipped, t + (skipped - (previousWall + MINUTE)));
      }
    }
    if (!instantOf.has(wall)) instantOf.set(wall, t);
    previousWall = wall;
  }
  return instantOf;
}

function referenceOccurrences(expression: string, walls: Map<number, number>, fromMs: number, toMs: number) {
  const matcher = CronExpressionParser.parse(expression, { tz: 'UTC' });
  const instants = new Set<number>();
  for (const [wall, at] of walls) {
    if (at > fromMs && at <= toMs && matcher.includesDate(new Date(wall))) instants.add(at);
  }
  return [...instants].sort((a, b) => a - b);
}

describe('nextOccurrence and latestOccurrenceAtOrBefore against a brute-force reference', () => {
  const transitions: [string, string][] = [
    [NY, '2026-03-08T07:00:00Z'],
    [NY, '2026-11-01T06:00:00Z'],
    [LONDON, '2026-03-29T01:00:00Z'],
    [LONDON, '2026-10-25T01:00:00Z'],
    [LORD_HOWE, '2026-04-04T15:00:00Z'],
    [LORD_HOWE, '2026-10-03T15:30:00Z'],
    [SHANGHAI, '2026-03-08T07:00:00Z'],
    // Samoa skipped 30 December 2011 entirely, moving from UTC-10 to UTC+14.
    ['Pacific/Apia', '2011-12-30T10:00:00Z'],
  ];
  // Each with the daily time it equals, if any.
  const cases: [string, Repeat][] = [
    ['*/20 * * * *', { cron: '*/20 * * * *' }],
    ['20,30 2 * * *', { cron: '20,30 2 * * *' }],
    ['15 1,2 * * *', { cron: '15 1,2 * * *' }],
    ['0 * * * *', { cron: '0 * * * *' }],
    ['*/7 0-3 * * *', { cron: '*/7 0-3 * * *' }],
    ['45 1 * * *', { cron: '45 1 * * *' }],
    ['45 1 * * *', { daily: '01:45' }],
    ['15 2 * * *', { daily: '02:15' }],
    ['30 1 * * *', { daily: '01:30' }],
  ];

  for (const [zone, transition] of transitions) {
    it(`matches for ${zone} around ${transition}`, () => {
      const from = utc(transition) - 30 * HOUR;
      const to = utc(transition) + 30 * HOUR;
      const walls = wallMinutes(zone, from, to);
      for (const [expression, repeat] of cases) {
        const expected = referenceOccurrences(expression, walls, from, to);
        const got: number[] = [];
        for (let at = nextOccurrence(repeat, zone, from); at <= to; at = nextOccurrence(repeat, zone, at)) {
          got.push(at);
        }
        expect({ repeat, got: got.map(iso) }).toEqual({ repeat, got: expected.map(iso) });

        for (let at = from + 6 * HOUR; at <= to; at += 13 * MINUTE) {
          const notBefore = at - 6 * HOUR;
          const inWindow = expected.filter((t) => t >= notBefore && t <= at);
          const want = iso(inWindow.at(-1) ?? null);
          const latest = iso(latestOccurrenceAtOrBefore(repeat, zone, at, notBefore));
          expect({ repeat, at: iso(at), latest }).toEqual({ repeat, at: iso(at), latest: want });
        }
      }
    });
  }
});

describe('latestOccurrenceAtOrBefore', () => {
  it('after 3 days of downtime returns the last slot only, and the next one follows it', () => {
    const lastClaimed = utc('2026-05-01T00:30:00Z'); // 08:30 Shanghai
    const restart = utc('2026-05-04T03:00:00Z');
    for (const repeat of [{ daily: '08:30' }, { cron: '30 8 * * *' }]) {
      const missed = latestOccurrenceAtOrBefore(repeat, SHANGHAI, restart, lastClaimed + 1);
      expect(iso(missed)).toBe('2026-05-04T00:30:00.000Z');
      expect(iso(nextOccurrence(repeat, SHANGHAI, missed as number))).toBe('2026-05-05T00:30:00.000Z');
    }
  });

  it('includes both ends of the window', () => {
    const slot = utc('2026-05-04T00:30:00Z');
    expect(latestOccurrenceAtOrBefore({ daily: '08:30' }, SHANGHAI, slot, slot)).toBe(slot);
    expect(latestOccurrenceAtOrBefore({ cron: '30 8 * * *' }, SHANGHAI, slot, slot)).toBe(slot);
  });

  it('returns null when no occurrence falls in the window', () => {
    const at = utc('2026-05-04T00:29:59Z');
    expect(latestOccurrenceAtOrBefore({ daily: '08:30' }, SHANGHAI, at, at - HOUR)).toBeNull();
    expect(latestOccurrenceAtOrBefore({ cron: '30 8 * * *' }, SHANGHAI, at, at - HOUR)).toBeNull();
    expect(latestOccurrenceAtOrBefore({ cron: '30 8 * * *' }, SHANGHAI, at, at + 1)).toBeNull();
  });

  it('returns the first 01:30 from inside the repeated New York hour, never the second', () => {
    const at = utc('2026-11-01T06:45:00Z'); // 01:45 EST, after the second 01:30
    for (const repeat of [{ daily: '01:30' }, { cron: '30 1 * * *' }]) {
      expect(iso(latestOccurrenceAtOrBefore(repeat, NY, at, at - DAY))).toBe('2026-11-01T05:30:00.000Z');
    }
  });

  it('finds the shifted slot of a New York spring-forward day', () => {
    for (const repeat of [{ daily: '02:30' }, { cron: '30 2 * * *' }]) {
      expect(iso(latestOccurrenceAtOrBefore(repeat, NY, utc('2026-03-09T00:00:00Z'), 0))).toBe(
        '2026-03-08T07:30:00.000Z',
      );
    }
  });

  it('steps back across years without walking through them', () => {
    // 29 February only: the latest before mid-2026 is 2024's.
    const started = Date.now();
    const at = latestOccurrenceAtOrBefore({ cron: '0 9 29 2 *' }, SHANGHAI, utc('2026-06-01T00:00:00Z'), 0);
    expect(iso(at)).toBe('2024-02-29T01:00:00.000Z');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('firstOccurrence', () => {
  it('starts a repeat without at at its next occurrence strictly after now', () => {
    expect(iso(firstOccurrence({ daily: '08:30' }, SHANGHAI, utc('2026-05-01T00:29:59.999Z')))).toBe(
      '2026-05-01T00:30:00.000Z',
    );
    expect(iso(firstOccurrence({ daily: '08:30' }, SHANGHAI, utc('2026-05-01T00:30:00Z')))).toBe(
      '2026-05-02T00:30:00.000Z',
    );
    expect(iso(firstOccurrence({ cron: '0 0 9 * * *' }, NY, utc('2026-05-01T13:00:00.001Z')))).toBe(
      '2026-05-02T13:00:00.000Z',
    );
  });
});

describe('invalid input', () => {
  it('throws RangeError for an unknown timezone', () => {
    expect(() => nextOccurrence({ daily: '08:30' }, 'Mars/Olympus_Mons', 0)).toThrow(RangeError);
    expect(() => latestOccurrenceAtOrBefore({ cron: '30 8 * * *' }, '', 0, 0)).toThrow(RangeError);
  });

  it('throws RangeError for a repeat validateRepeat rejects, or a non-finite instant', () => {
    expect(() => nextOccurrence({ daily: '25:00' }, SHANGHAI, 0)).toThrow(/repeat\.daily/);
    expect(() => nextOccurrence({ cron: '* * * * * *' }, SHANGHAI, 0)).toThrow(RangeError);
    expect(() => nextOccurrence({ daily: '08:30' }, SHANGHAI, Number.NaN)).toThrow(RangeError);
  });
});
