/**
 * Drill: kill -9 one instance in the middle of a spike, start it again. Counts reminders lost
 * (target 0) and sent twice (target 0; never more than the occurrences the killed instance had
 * claimed at the kill, docs/architecture.md#each-occurrence-is-sent-once: the only duplicate is a
 * crash between WeChat's answer and its record).
 */
import { onRedis, timed, type Outcome } from '../lab/report';
import { summarize, type Summary } from '../lab/stats';
import { createAll, lateness, plan, settle, tally, untilSent, type Tally } from '../lab/deliveries';
import { Lab } from '../lab/lab';

export interface KillRestartOptions {
  reminders: number; // default 10,000
  instances: number; // default 2; the first one is killed
  killAtFraction: number; // kill once this share of the spike was accepted, default 0.3
  leadMs: number; // the spike is due this long after the creates start, default 12 s
  sandboxLatencyMs: number; // WeChat's answer time, default 0
  settleTimeoutMs: number; // wait for takeover (the 30 s lease) and the rest, default 90 s
  cluster: boolean; // on a Redis Cluster (3 masters + 3 replicas) instead of one redis-server, default false
}

export interface KillRestartResult extends Tally {
  instances: number;
  sentAtKill: number;
  inFlightAtKill: number; // claims the killed instance held at the kill
  restartReadyMs: number;
  drainMs: number; // due time → last accepted send
  lateness: Summary;
  settled: boolean;
  ok: boolean;
}

export async function killRestartDrill(
  options: Partial<KillRestartOptions> = {},
  onLab?: (lab: Lab) => void, // lets a test close the lab even if the drill throws
): Promise<KillRestartResult> {
  const o: KillRestartOptions = {
    reminders: 10_000,
    instances: 2,
    killAtFraction: 0.3,
    leadMs: 12_000,
    sandboxLatencyMs: 0,
    settleTimeoutMs: 90_000,
    cluster: false,
    ...options,
  };
  const lab = await Lab.open({ name: 'drill-kill', cluster: o.cluster });
  onLab?.(lab);
  let failed = true;
  try {
    lab.sandbox.faults.latencyMs = o.sandboxLatencyMs;
    const instances = await Promise.all(
      Array.from({ length: o.instances }, (_, i) => lab.startTixing(`instance-${i}`)),
    );
    const victim = instances[0];
    if (!victim) throw new Error('no instance');
    const due = Date.now() + o.leadMs;
    const planned = plan('k', o.reminders, () => due);
    await createAll(lab, planned);
    if (Date.now() > due - 500) throw new Error('creating the reminders took longer than the lead time');

    const killAt = Math.max(1, Math.floor(o.reminders * o.killAtFraction));
    if (!(await untilSent(lab, killAt, o.leadMs + 60_000)))
      throw new Error('the spike never reached the kill');
    await victim.kill9();
    const sentAtKill = lab.sandbox.sent.length;
    const inFlightAtKill = (await lab.claims()).filter((c) => victim.ownsClaim(c.owner)).length;
    await victim.start();
    const restartReadyMs = victim.readyMs;

    const settled = await settle(lab, { timeoutMs: o.settleTimeoutMs });
    const sent = lab.sandbox.sent;
    const counts = tally(sent, planned);
    const lastAt = Math.max(...sent.map((m) => m.at));
    const result: KillRestartResult = {
      instances: o.instances,
      ...counts,
      sentAtKill,
      inFlightAtKill,
      restartReadyMs,
      drainMs: lastAt - due,
      lateness: summarize(lateness(sent, planned)),
      settled,
      ok: settled && counts.lost === 0 && counts.duplicated <= inFlightAtKill && counts.unexpected === 0,
    };
    failed = !result.ok;
    return result;
  } finally {
    await lab.close({ keepDir: failed });
    if (failed) process.stderr.write(`kill-restart drill: logs kept in ${lab.dir}\n`);
  }
}

export function killRestart(options: Partial<KillRestartOptions> = {}): Promise<Outcome> {
  const o = { reminders: 10_000, instances: 2, ...options };
  const [id, title] = onRedis(
    'kill-restart',
    `kill -9 one of ${o.instances} instances in a ${o.reminders}-reminder spike, restart it`,
    o.cluster,
  );
  return timed(id, title, async () => {
    const r = await killRestartDrill(o);
    return {
      figures: [
        { name: 'lost', value: r.lost, target: '0', met: r.lost === 0 },
        { name: 'duplicated', value: r.duplicated, target: '0', met: r.duplicated === 0 },
        {
          name: 'duplicated ≤ claims the killed instance held',
          value: `${r.duplicated} ≤ ${r.inFlightAtKill}`,
          target: 'never more',
          met: r.duplicated <= r.inFlightAtKill,
        },
        { name: 'sent when killed', value: `${r.sentAtKill} of ${r.expected}` },
        { name: 'restart: spawn → listening', value: r.restartReadyMs, unit: 'ms' },
        { name: 'all sent after (due → last send)', value: r.drainMs, unit: 'ms' },
        {
          name: 'lateness p50 / p99 / max',
          value: `${r.lateness.p50} / ${r.lateness.p99} / ${r.lateness.max}`,
          unit: 'ms',
        },
      ],
      notes: [
        'A duplicate is an occurrence WeChat accepted from the killed instance before it could record it; ' +
          'its claim is taken over when the 30 s lease runs out ' +
          '(docs/architecture.md#each-occurrence-is-sent-once), hence the max lateness.',
      ],
      details: r,
    };
  });
}
