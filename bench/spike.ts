/**
 * Benchmark 1, spike: 10,000 reminders due at the same second, one tixing instance (a real
 * `src/main.ts` process, SEND_CONCURRENCY=32) sending to the sandbox over keep-alive HTTP. Baseline
 * in the same run: BullMQ with 10,000 delayed jobs due at the same time and a worker at the same
 * concurrency calling the same send function. Rounds alternate the order; medians are reported.
 * Target: our drain time ≤ 0.8 × BullMQ's.
 */
import { fireWithBullmq, fireWithTixing, type FireRunOptions, type FireRunResult } from './fire-run';
import { timed, type Outcome } from '../lab/report';
import { median, ratio } from '../lab/stats';

export interface SpikeOptions {
  count: number; // default 10,000
  concurrency: number; // default 32 (SEND_CONCURRENCY's default)
  rounds: number; // default 5
}

export function spike(options: Partial<SpikeOptions> = {}): Promise<Outcome> {
  // SPIKE_ROUNDS: fewer rounds while iterating; the published figure is the default 5.
  const rounds = Number(process.env.SPIKE_ROUNDS) || 5;
  const o: SpikeOptions = { count: 10_000, concurrency: 32, rounds, ...options };
  const title = `${o.count} reminders due at the same second, concurrency ${o.concurrency}, ${o.rounds} rounds`;
  return timed('spike', title, async () => {
    const run: FireRunOptions = {
      tag: 'spike',
      count: o.count,
      offsetMs: () => 0,
      leadMs: 30_000, // creating 10,000 took up to 20 s on a loaded 2-core machine
      concurrency: o.concurrency,
      timeoutMs: 120_000,
    };
    const tixing: FireRunResult[] = [];
    const bullmq: FireRunResult[] = [];
    for (let round = 0; round < o.rounds; round++) {
      const order = round % 2 === 0 ? ['tixing', 'bullmq'] : ['bullmq', 'tixing'];
      for (const system of order) {
        const result = system === 'tixing' ? await fireWithTixing(run) : await fireWithBullmq(run);
        (system === 'tixing' ? tixing : bullmq).push(result);
        process.stdout.write(
          `  round ${round + 1} ${system}: drain ${result.drainMs} ms, ${result.throughputPerS}/s, ` +
            `lateness p99 ${result.lateness.p99} ms, CPU/msg ${result.cpuMsPerSend} ms + redis ${result.redisCpuMsPerSend} ms, ` +
            `redis cmds/msg ${result.redisCommandsPerSend}, writes/msg ${result.writeCallsPerSend} (${result.bytesWrittenPerSend} B), sends ${result.sends}, lost ${result.lost}, dup ${result.duplicated}\n`,
        );
      }
    }
    // The round whose drain is the median stands for its system in the lateness rows.
    const typical = (runs: FireRunResult[]) => {
      const m = median(runs.map((r) => r.drainMs));
      return runs.reduce((best, r) => (Math.abs(r.drainMs - m) < Math.abs(best.drainMs - m) ? r : best));
    };
    const t = typical(tixing);
    const b = typical(bullmq);
    const drainT = median(tixing.map((r) => r.drainMs));
    const drainB = median(bullmq.map((r) => r.drainMs));
    const drainRatio = ratio(drainT, drainB);
    const cpuT = median(tixing.map((r) => r.cpuMsPerSend));
    const cpuB = median(bullmq.map((r) => r.cpuMsPerSend));
    const redisT = median(tixing.map((r) => r.redisCpuMsPerSend));
    const redisB = median(bullmq.map((r) => r.redisCpuMsPerSend));
    const sends = tixing.reduce((s, r) => s + r.sends, 0);
    const lost = tixing.reduce((s, r) => s + r.lost, 0);
    const dup = tixing.reduce((s, r) => s + r.duplicated, 0);
    return {
      baselineName:
        'BullMQ 6 delayed jobs + Worker (node-redis adapter), same concurrency, same send function',
      figures: [
        {
          name: 'drain time (median of rounds)',
          value: drainT,
          unit: 'ms',
          baseline: drainB,
          ratio: drainRatio,
          target: '≤ 0.8 × BullMQ',
          met: drainT / drainB <= 0.8, // the verdict on the unrounded ratio
        },
        {
          name: 'per-round drain ratios',
          value: tixing.map((r, i) => ratio(r.drainMs, bullmq[i]?.drainMs ?? NaN)).join(', '),
        },
        {
          name: 'throughput',
          value: t.throughputPerS,
          unit: 'msg/s',
          baseline: b.throughputPerS,
          ratio: ratio(t.throughputPerS, b.throughputPerS),
        },
        {
          name: 'lateness p50',
          value: t.lateness.p50,
          unit: 'ms',
          baseline: b.lateness.p50,
          ratio: ratio(t.lateness.p50, b.lateness.p50),
        },
        {
          name: 'lateness p99',
          value: t.lateness.p99,
          unit: 'ms',
          baseline: b.lateness.p99,
          ratio: ratio(t.lateness.p99, b.lateness.p99),
        },
        {
          name: 'lateness max',
          value: t.lateness.max,
          unit: 'ms',
          baseline: b.lateness.max,
          ratio: ratio(t.lateness.max, b.lateness.max),
        },
        {
          name: 'CPU per message: sending process (median)',
          value: cpuT,
          unit: 'ms',
          baseline: cpuB,
          ratio: ratio(cpuT, cpuB),
        },
        {
          name: 'CPU per message: redis-server (median)',
          value: redisT,
          unit: 'ms',
          baseline: redisB,
          ratio: ratio(redisT, redisB),
        },
        {
          name: 'Redis commands per message, Lua-internal included (median)',
          value: median(tixing.map((r) => r.redisCommandsPerSend)),
          baseline: median(bullmq.map((r) => r.redisCommandsPerSend)),
        },
        {
          name: 'of which script calls (EVALSHA) per message',
          value: median(tixing.map((r) => r.redisScriptCallsPerSend)),
          baseline: median(bullmq.map((r) => r.redisScriptCallsPerSend)),
        },
        {
          name: 'sends/s one Redis can carry (1 / redis CPU per send, one core at 100 %)',
          value: Math.round(1000 / redisT),
          unit: 'msg/s',
          baseline: Math.round(1000 / redisB),
        },
        {
          name: 'sends / lost / duplicated (all rounds)',
          value: `${sends} / ${lost} / ${dup}`,
          target: `${o.count * o.rounds} / 0 / 0`,
          met: sends === o.count * o.rounds && lost === 0 && dup === 0,
        },
      ],
      details: { options: o, tixing, bullmq },
    };
  });
}
