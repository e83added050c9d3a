/**
 * Benchmark 2, precision: 2,000 reminders spread evenly over 20 s (one every 10 ms), one tixing
 * instance; lateness is the sandbox's accept time minus the due time. Target p99 < 50 ms. BullMQ
 * delayed jobs with the same schedule and send function in the same run, for comparison.
 */
import { fireWithBullmq, fireWithTixing, type FireRunOptions } from './fire-run';
import { timed, type Outcome } from '../lab/report';
import { ratio } from '../lab/stats';

export function precision(options: { count?: number; spreadMs?: number } = {}): Promise<Outcome> {
  const count = options.count ?? 2000;
  const spreadMs = options.spreadMs ?? 20_000;
  return timed('precision', `${count} reminders spread over ${spreadMs / 1000} s`, async () => {
    const run: FireRunOptions = {
      tag: 'precision',
      count,
      offsetMs: (i) => Math.floor((i * spreadMs) / count),
      leadMs: 5000,
      concurrency: 32,
      timeoutMs: 60_000,
    };
    const t = await fireWithTixing(run);
    const b = await fireWithBullmq(run);
    const row = (name: string, key: 'p50' | 'p99' | 'max' | 'mean') => ({
      name: `lateness ${name}`,
      value: t.lateness[key],
      unit: 'ms',
      baseline: b.lateness[key],
      ratio: ratio(t.lateness[key], b.lateness[key]),
    });
    return {
      baselineName: 'BullMQ 6 delayed jobs + Worker, same schedule and send function',
      figures: [
        row('p50', 'p50'),
        { ...row('p99', 'p99'), target: '< 50 ms', met: t.lateness.p99 < 50 },
        row('max', 'max'),
        row('mean', 'mean'),
        {
          name: 'sends / lost / duplicated',
          value: `${t.sends} / ${t.lost} / ${t.duplicated}`,
          target: `${count} / 0 / 0`,
          met: t.sends === count && t.lost === 0 && t.duplicated === 0,
        },
      ],
      details: { count, spreadMs, tixing: t, bullmq: b },
    };
  });
}
