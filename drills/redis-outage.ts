/**
 * Drill: Redis stopped for 10 s in the middle of a run (two instances, 3,000 reminders due over
 * 40 s). Targets: no instance crashes, the API answers 503 meanwhile (health and creates), and
 * every reminder due is sent once Redis is back (those due during the outage, late).
 */
import { summarize } from '../lab/stats';
import { sleep } from '../lab/wait';
import { timed, type Outcome } from '../lab/report';
import { createAll, lateness, plan, settle, tally } from '../lab/deliveries';
import { Lab, type Tixing } from '../lab/lab';
import { login } from '../lab/login';

async function probe(instance: Tixing, token: string): Promise<{ health: number; create: number }> {
  const status = (p: Promise<Response>) =>
    p.then(
      async (res) => (await res.arrayBuffer(), res.status),
      () => 0, // no answer at all
    );
  const [health, create] = await Promise.all([
    status(fetch(`${instance.url}/api/health`, { signal: AbortSignal.timeout(3000) })),
    status(
      fetch(`${instance.url}/api/reminders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ title: 'during the outage', at: Date.now() + 3600_000 }),
        signal: AbortSignal.timeout(3000),
      }),
    ),
  ]);
  return { health, create };
}

export function redisOutage(
  options: { count?: number; spreadMs?: number; outageMs?: number } = {},
): Promise<Outcome> {
  const count = options.count ?? 3000;
  const spreadMs = options.spreadMs ?? 40_000;
  const outageMs = options.outageMs ?? 10_000;
  const title = `Redis stopped for ${outageMs / 1000} s during ${count} reminders due over ${spreadMs / 1000} s, 2 instances`;
  return timed('redis-outage', title, async () => {
    const lab = await Lab.open({ name: 'drill-outage' });
    let failed = true;
    try {
      const instances = await Promise.all([0, 1].map((i) => lab.startTixing(`instance-${i}`)));
      const tokens: string[] = [];
      for (const instance of instances) {
        tokens.push(await login(instance.url, `outage-prober#${tokens.length}`));
      }
      const start = Date.now() + 8000;
      const planned = plan('o', count, (i) => start + Math.floor((i * spreadMs) / count));
      await createAll(lab, planned);

      await sleep(start + 10_000 - Date.now());
      const claimsBefore = (await lab.claims()).length;
      const sentBefore = lab.sandbox.sent.length;
      const stoppedAt = Date.now();
      await lab.redisServer.stop();
      const during: { health: number; create: number }[] = [];
      while (Date.now() - stoppedAt < outageMs) {
        const round = await Promise.all(instances.map((instance, i) => probe(instance, tokens[i] as string)));
        during.push(...round);
        await sleep(250);
      }
      await lab.redisServer.start();
      const restartedAt = Date.now();
      const dueDuringOutage = planned.filter((p) => p.at >= stoppedAt && p.at < restartedAt).length;

      // Lease (30 s) of claims left unfinished by the outage, then the sweep takes them.
      const settled = await settle(lab, { timeoutMs: Math.max(0, start + spreadMs - Date.now()) + 60_000 });
      const healthAfter = await Promise.all(
        instances.map((i) =>
          i.health().then(
            (h) => h.status,
            () => 0,
          ),
        ),
      );
      const crashed = instances.filter((i) => !i.alive).length;
      const t = tally(lab.sandbox.sent, planned);
      const late = summarize(lateness(lab.sandbox.sent, planned));
      const count503 = (k: 'health' | 'create') => during.filter((d) => d[k] === 503).length;
      const other = during.filter((d) => d.health !== 503 || d.create !== 503);
      const ok =
        settled && crashed === 0 && other.length === 0 && t.lost === 0 && healthAfter.every((s) => s === 200);
      failed = !ok;
      return {
        figures: [
          { name: 'instances crashed', value: crashed, target: '0', met: crashed === 0 },
          {
            name: 'health answers 503 during the outage',
            value: `${count503('health')} of ${during.length}`,
            target: 'all',
            met: count503('health') === during.length,
          },
          {
            name: 'creates answered 503 during the outage',
            value: `${count503('create')} of ${during.length}`,
            target: 'all',
            met: count503('create') === during.length,
          },
          {
            name: 'health after Redis is back',
            value: healthAfter.join(', '),
            target: '200',
            met: healthAfter.every((s) => s === 200),
          },
          { name: 'reminders due during the outage', value: dueDuringOutage },
          {
            name: 'sends / lost / duplicated',
            value: `${t.sends} / ${t.lost} / ${t.duplicated}`,
            target: `${count} / 0 / 0`,
            met: settled && t.lost === 0 && t.duplicated === 0,
          },
          { name: 'claims held when Redis stopped (duplicate bound)', value: claimsBefore },
          { name: 'lateness p50 / p99 / max', value: `${late.p50} / ${late.p99} / ${late.max}`, unit: 'ms' },
        ],
        notes: [
          `${sentBefore} sent before the stop; other answers during the outage: ${
            other.length === 0 ? 'none' : JSON.stringify(other.slice(0, 5))
          }.`,
        ],
        details: {
          count,
          spreadMs,
          outageMs,
          during,
          claimsBefore,
          dueDuringOutage,
          tally: t,
          lateness: late,
        },
      };
    } finally {
      await lab.close({ keepDir: failed });
      if (failed) process.stderr.write(`redis-outage drill: logs kept in ${lab.dir}\n`);
    }
  });
}
