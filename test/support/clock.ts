/**
 * The clock of a test instance (`env.start({ now: clock.now })`): real time plus an offset the
 * test moves, so that what the code decides from `now` (expiries, graces, lateness, retention)
 * can be put at any distance without waiting for it. Timers (node-schedule, sweeps) and Redis
 * TTLs keep real time.
 */
export class TestClock {
  private offsetMs: number;

  constructor(offsetMs = 0) {
    this.offsetMs = offsetMs;
  }

  readonly now = (): number => Date.now() + this.offsetMs;

  /** Moves the clock forward (or back, with a negative `ms`). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
