import { killRestartDrill, type KillRestartResult } from '../../drills/kill-restart';
import type { Lab } from '../../lab/lab';

/**
 * The small CI version of `npm run drills -- kill-restart`: two real `src/main.ts` processes on a
 * private redis-server, 500 reminders due at the same second, kill -9 one instance mid-spike and
 * start it again. Every process is killed in afterAll even when the drill fails or times out.
 */
describe('kill -9 of an instance in the middle of a spike', () => {
  let lab: Lab | undefined;
  let result: KillRestartResult;

  beforeAll(async () => {
    result = await killRestartDrill(
      { reminders: 500, instances: 2, leadMs: 5000, sandboxLatencyMs: 20, settleTimeoutMs: 40_000 },
      (opened) => (lab = opened),
    );
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
  });

  it('loses no reminder once the killed instance is back', () => {
    expect(result.settled).toBe(true);
    expect(result.lost).toBe(0);
    expect(result.unexpected).toBe(0);
  });

  it('sends twice at most the occurrences the killed instance had claimed', () => {
    expect(result.sentAtKill).toBeLessThan(result.expected);
    expect(result.duplicated).toBeLessThanOrEqual(result.inFlightAtKill);
  });
});
