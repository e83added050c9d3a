/**
 * Benchmark 5, token: three instances (real `src/main.ts` processes) on one Redis, 10,000
 * reminders due at the same second, no access_token stored beforehand. Counts the token fetches
 * the sandbox saw (stable_token and token). Target: exactly 1.
 */
import { createAll, plan, settle, tally } from '../lab/deliveries';
import { Lab } from '../lab/lab';
import { timed, type Outcome } from '../lab/report';

export function token(options: { count?: number; instances?: number } = {}): Promise<Outcome> {
  const count = options.count ?? 10_000;
  const instances = options.instances ?? 3;
  return timed('token', `${instances} instances, ${count} sends, one shared access_token`, async () => {
    const lab = await Lab.open({ name: 'bench-token' });
    try {
      await Promise.all(Array.from({ length: instances }, (_, i) => lab.startTixing(`instance-${i}`)));
      const due = Date.now() + 8000;
      const planned = plan('tok', count, () => due);
      await createAll(lab, planned);
      const settled = await settle(lab, { timeoutMs: 120_000, minSent: count });
      const { stats } = lab.sandbox;
      const fetches = stats.stableTokenFetches + stats.tokenFetches;
      const t = tally(lab.sandbox.sent, planned);
      const drainMs = Math.max(...lab.sandbox.sent.map((m) => m.at)) - due;
      return {
        figures: [
          { name: 'access_token fetches', value: fetches, target: 'exactly 1', met: fetches === 1 },
          { name: 'subscribe/send calls', value: stats.sendCalls },
          {
            name: 'sends / lost / duplicated',
            value: `${t.sends} / ${t.lost} / ${t.duplicated}`,
            target: `${count} / 0 / 0`,
            met: settled && t.sends === count && t.lost === 0 && t.duplicated === 0,
          },
          { name: `drain time with ${instances} instances`, value: drainMs, unit: 'ms' },
        ],
        details: { count, instances, stats: { ...stats }, tally: t, drainMs, settled },
      };
    } finally {
      await lab.close();
    }
  });
}
