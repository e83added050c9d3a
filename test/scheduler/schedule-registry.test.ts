import { ScheduleRegistry } from '../../src/scheduler/schedule-registry';

// Jest's fake timers drive node-schedule (its timers and Date.now are the faked ones): a job's
// time is reached by advancing the clock, never by waiting for it.
describe('ScheduleRegistry', () => {
  const fired: [string, number][] = [];
  const firedWhen: number[] = []; // the (fake) clock when each fired
  let registry: ScheduleRegistry;

  beforeEach(() => {
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 1, 8, 29) });
    fired.length = 0;
    firedWhen.length = 0;
    registry = new ScheduleRegistry({
      onFire: (id, at) => {
        fired.push([id, at]);
        firedWhen.push(Date.now());
      },
    });
  });
  afterEach(() => {
    registry.close();
    jest.useRealTimers();
  });

  it('holds one job per id and does nothing when an unchanged reminder is upserted', () => {
    const at = Date.now() + 60_000;
    expect(registry.upsert('1', at)).toBe('added');
    const job = registry.jobOf('1');
    expect(registry.upsert('1', at)).toBe('unchanged');
    expect(registry.jobOf('1')).toBe(job);
    expect(registry.size).toBe(1);
  });

  it('re-times one job without touching the others', () => {
    const at = Date.now() + 60_000;
    registry.upsert('1', at);
    registry.upsert('2', at);
    const other = registry.jobOf('2');
    expect(registry.upsert('1', at + 1000)).toBe('rescheduled');
    expect(registry.jobOf('2')).toBe(other);
    expect(registry.fireAtOf('1')).toBe(at + 1000);
  });

  it('fires at the time, once, and forgets the job', async () => {
    const at = Date.now() + 60_000;
    registry.upsert('1', at);
    await jest.advanceTimersByTimeAsync(59_999);
    expect(fired).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(fired).toEqual([['1', at]]);
    expect(registry.has('1')).toBe(false);
    await jest.advanceTimersByTimeAsync(3_600_000);
    expect(fired).toHaveLength(1);
  });

  it('hands an occurrence already due to the dispatcher at once instead of node-schedule', async () => {
    const at = Date.now() - 5000;
    registry.upsert('1', at);
    expect(registry.jobOf('1')).toBeNull();
    await jest.advanceTimersByTimeAsync(0);
    expect(fired).toEqual([['1', at]]);
  });

  it('fires 10,000 reminders due at the same instant together, not one per millisecond', async () => {
    const at = Date.now() + 200;
    for (let i = 0; i < 10_000; i++) registry.upsert(String(i), at);
    expect(registry.jobOf('0')).toBe(registry.jobOf('9999'));
    await jest.advanceTimersByTimeAsync(200);
    // All at the instant itself: one job each would have fired them a millisecond apart, over 10 s.
    expect(fired).toHaveLength(10_000);
    expect(new Set(firedWhen)).toEqual(new Set([at]));
    expect(registry.size).toBe(0);
  });

  it('does not fire a removed job', async () => {
    registry.upsert('1', Date.now() + 100);
    registry.upsert('2', Date.now() + 100); // the positive control, due at the same time
    expect(registry.remove('1')).toBe(true);
    await jest.advanceTimersByTimeAsync(3_600_000);
    expect(fired).toEqual([['2', Date.now() - 3_600_000 + 100]]);
  });

  it('reconciles with counts, changing only what differs', () => {
    const at = Date.now() + 60_000;
    registry.upsert('1', at);
    registry.upsert('2', at);
    registry.upsert('3', at);
    const keep = registry.jobOf('1');
    const counts = registry.reconcile(
      new Map([
        ['1', at],
        ['2', at + 5],
        ['4', at],
      ]),
    );
    expect(counts).toEqual({ added: 1, removed: 1, rescheduled: 1, unchanged: 1 });
    expect(registry.jobOf('1')).toBe(keep);
    expect(registry.has('3')).toBe(false);
  });
});

describe('ScheduleRegistry with a holder (handedOver)', () => {
  afterEach(() => jest.useRealTimers());

  it('does not fire again on reconcile what is still in flight, and fires it once it is let go', async () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 1, 8, 29) });
    const fired: string[] = [];
    const held = new Set<string>();
    const registry = new ScheduleRegistry({
      onFire: (id) => {
        fired.push(id);
        held.add(id);
      },
      handedOver: (id) => held.has(id),
    });
    const due = Date.now() - 1000;
    const wanted = new Map([
      ['a', due],
      ['b', due],
    ]);
    registry.reconcile(wanted);
    await jest.advanceTimersByTimeAsync(1);
    expect(fired.sort()).toEqual(['a', 'b']);
    // The sweep's next read still lists both (not recorded yet): neither fires again.
    expect(registry.reconcile(wanted)).toMatchObject({ added: 0, unchanged: 2 });
    await jest.advanceTimersByTimeAsync(1);
    expect(fired).toHaveLength(2);
    // `a` was dropped by its holder (say its claim failed) and is still due: the next sweep fires it.
    held.delete('a');
    expect(registry.reconcile(wanted)).toMatchObject({ added: 1, unchanged: 1 });
    await jest.advanceTimersByTimeAsync(1);
    expect(fired.sort()).toEqual(['a', 'a', 'b']);
    registry.close();
  });
});
