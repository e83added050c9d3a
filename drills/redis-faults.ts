/**
 * Drill: Redis faults that are not a clean outage, in a row, under one instance with 300 reminders
 * due over them: the redis-server paused (SIGSTOP) for 5 s; restarted on 20,000 keys it takes ~4 s
 * to load (LOADING; slowed with Redis's hidden `key-load-delay`, as its own tests do); full
 * (`maxmemory` 1 byte under noeviction: OOM) for 5 s. Then a second instance on its embedded
 * redis-server, which is killed with SIGKILL. Four requests at a time probe every 200 ms (health,
 * list, create, login). Targets: no 500, no hung request, health never 200 while a fault holds and
 * 200 again after each, every reminder sent.
 */
import { summarize } from '../lab/stats';
import { sleep } from '../lab/wait';
import { timed, type Figure, type Outcome } from '../lab/report';
import { createClient } from 'redis';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createAll, lateness, plan, tally, type PlannedReminder } from '../lab/deliveries';
import { Lab, type Tixing } from '../lab/lab';
import { login } from '../lab/login';
import { probeWhile, type Probe } from '../lab/probe';

const COMMAND_TIMEOUT_MS = 2000; // REDIS_COMMAND_TIMEOUT_MS's default, which the instances run with
const HUNG_MS = COMMAND_TIMEOUT_MS + 2000; // an answer later than this counts as hung

interface Phase {
  name: string;
  heldMs: number; // how long the fault held
  recoveredMs: number | null; // fault over → first health 200
  probes: Probe[];
  healthOkWhileHeld: number;
}

/** Runs `fault` while probing `base`, then probes on until its health answers 200 again. */
async function phase(name: string, base: string, token: string, fault: () => Promise<void>): Promise<Phase> {
  let stop = false;
  const probing = probeWhile(base, token, () => stop, { limitMs: HUNG_MS });
  const from = Date.now();
  await fault();
  const to = Date.now();
  let recoveredMs: number | null = null;
  while (Date.now() - to < 20_000) {
    const status = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(HUNG_MS) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) {
      recoveredMs = Date.now() - to;
      break;
    }
    await sleep(100);
  }
  stop = true;
  const probes = await probing;
  // Health sent well inside the fault and answered before it ended must not say ok.
  const healthOkWhileHeld = probes.filter(
    (p) => p.route === 'health' && p.status === 200 && p.at >= from + 500 && p.at + p.ms <= to,
  ).length;
  return { name, heldMs: to - from, recoveredMs, probes, healthOkWhileHeld };
}

/** The pid of the redis-server behind `url` (INFO server), once it is not `previous`. */
async function redisPid(url: string, previous?: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
      if (pid && pid !== previous) return pid;
    } catch {
      // not up yet
    } finally {
      if (client.isOpen) await client.close().catch(() => client.destroy());
    }
    await sleep(50);
  }
  throw new Error(`no new redis-server on ${url} within 15 s`);
}

/**
 * Waits until every planned reminder was sent and the sandbox then accepted nothing more for
 * 1.5 s (late duplicates show by then). The due index never empties here: probes create reminders
 * an hour ahead.
 */
async function delivered(lab: Lab, planned: PlannedReminder[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (tally(lab.sandbox.sent, planned).lost > 0) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  for (let seen = -1; seen !== lab.sandbox.sent.length;) {
    seen = lab.sandbox.sent.length;
    await sleep(1500);
  }
  return true;
}

function count(probes: Probe[], test: (p: Probe) => boolean): number {
  return probes.filter(test).length;
}

function healthStates(probes: Probe[]): string {
  const states = new Map<string, number>();
  for (const p of probes) {
    if (p.route !== 'health') continue;
    const key = p.status === 200 ? 'ok' : (p.redis ?? String(p.status));
    states.set(key, (states.get(key) ?? 0) + 1);
  }
  return [...states].map(([k, n]) => `${k} ×${n}`).join(', ');
}

export function redisFaults(options: { count?: number; fillerKeys?: number } = {}): Promise<Outcome> {
  const total = options.count ?? 300;
  const fillerKeys = options.fillerKeys ?? 20_000;
  const title = `Redis paused 5 s, loading ~4 s, out of memory 5 s, then an embedded redis-server killed (-9); ${total} + 30 reminders due across them`;
  return timed('redis-faults', title, async () => {
    const lab = await Lab.open({
      name: 'drill-redis-faults',
      // 200 µs per key loaded, and LOADING answers while it loads (instead of silence).
      redisArgs: ['--key-load-delay', '200', '--loading-process-events-interval-bytes', '1024'],
    });
    let failed = true;
    let embedded: Tixing | undefined;
    try {
      const external = await lab.startTixing('instance-0');
      const token = await login(external.url, 'faults-prober#0');
      const start = Date.now() + 5000;
      const planned = plan('f', total, (i) => start + Math.floor((i * 25_000) / total));
      await createAll(lab, planned);
      for (let from = 0; from < fillerKeys; from += 5000) {
        const multi = lab.redis.multi();
        for (let i = from; i < Math.min(fillerKeys, from + 5000); i++) multi.set(`filler:${i}`, 'x');
        await multi.execAsPipeline();
      }
      await sleep(start + 1000 - Date.now());

      const phases: Phase[] = [];
      phases.push(
        await phase('stall', external.url, token, async () => {
          const pid = lab.redisServer.pid as number;
          process.kill(pid, 'SIGSTOP');
          await sleep(5000);
          process.kill(pid, 'SIGCONT');
        }),
      );
      phases.push(
        await phase('loading', external.url, token, async () => {
          await lab.redisServer.stop();
          await lab.redisServer.start(); // resolves once the data is loaded
        }),
      );
      while (!lab.redis.isReady) await sleep(50); // the lab's own client reconnects by itself
      phases.push(
        await phase('oom', external.url, token, async () => {
          await lab.redis.configSet('maxmemory', '1');
          await sleep(5000);
          await lab.redis.configSet('maxmemory', '0');
        }),
      );
      // A claim sent while Redis was paused is applied when it resumes and holds its occurrence
      // for the lease (30 s): the wait goes past that.
      const settled = await delivered(lab, planned, Math.max(0, start + 25_000 - Date.now()) + 45_000);
      const t = tally(lab.sandbox.sent, planned);

      // The embedded redis-server of `npm start`, killed under a running instance.
      embedded = await lab.startTixing('embedded', { REDIS_URL: '' });
      const embeddedUrl = readFileSync(path.join(lab.dir, 'var', 'redis', 'url'), 'utf8').trim();
      const killToken = await login(embedded.url, 'faults-kill#0');
      const killStart = Date.now() + 3000;
      const killPlanned: PlannedReminder[] = Array.from({ length: 30 }, (_, i) => ({
        user: 'faults-kill',
        title: `k${i}`,
        at: killStart + i * 300,
      }));
      for (const p of killPlanned) {
        const res = await fetch(`${embedded.url}/api/reminders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${killToken}` },
          body: JSON.stringify({ title: p.title, at: p.at }),
        });
        if (res.status !== 201) throw new Error(`create on the embedded instance: ${res.status}`);
      }
      const pidBefore = await redisPid(embeddedUrl);
      let pidAfter = 0;
      phases.push(
        await phase('kill', embedded.url, killToken, async () => {
          process.kill(pidBefore, 'SIGKILL');
          pidAfter = await redisPid(embeddedUrl, pidBefore);
        }),
      );
      await delivered(lab, killPlanned, 40_000);
      const k = tally(lab.sandbox.sent, killPlanned);

      const probes = phases.flatMap((p) => p.probes);
      const errors500 = count(probes, (p) => p.status >= 500 && p.status !== 503);
      const hung = count(probes, (p) => p.status === 0);
      const slowest = Math.max(...probes.map((p) => p.ms));
      const dishonest = phases.reduce((n, p) => n + p.healthOkWhileHeld, 0);
      const recovered = phases.every((p) => p.recoveredMs !== null);
      const alive = external.alive && embedded.alive;
      const aliveCount = Number(external.alive) + Number(embedded.alive);
      const late = summarize(lateness(lab.sandbox.sent, [...planned, ...killPlanned]));
      const perPhase: Figure[] = phases.flatMap((p) => [
        {
          name: `${p.name} (held ${(p.heldMs / 1000).toFixed(1)} s): answers 503 / 2xx / other`,
          value: `${count(p.probes, (x) => x.status === 503)} / ${count(p.probes, (x) => x.status >= 200 && x.status < 300)} / ${count(p.probes, (x) => x.status !== 503 && (x.status < 200 || x.status >= 300))}`,
        },
        { name: `${p.name}: health answers`, value: healthStates(p.probes) },
      ]);
      const ok =
        errors500 === 0 &&
        hung === 0 &&
        dishonest === 0 &&
        recovered &&
        alive &&
        settled &&
        t.lost === 0 &&
        k.lost === 0 &&
        pidAfter !== pidBefore;
      failed = !ok;
      return {
        figures: [
          { name: 'requests probed', value: probes.length },
          { name: '500 answers', value: errors500, target: '0', met: errors500 === 0 },
          {
            name: `hung requests (no answer within ${HUNG_MS / 1000} s)`,
            value: hung,
            target: '0',
            met: hung === 0,
          },
          {
            name: 'slowest answer',
            value: slowest,
            unit: 'ms',
            target: `≤ ${HUNG_MS}`,
            met: slowest <= HUNG_MS,
          },
          ...perPhase,
          { name: 'health 200 while a fault held', value: dishonest, target: '0', met: dishonest === 0 },
          {
            name: 'health 200 again after stall / loading / oom / kill',
            value: phases.map((p) => (p.recoveredMs === null ? 'never' : p.recoveredMs)).join(' / '),
            unit: 'ms',
            target: 'each',
            met: recovered,
          },
          { name: 'instances alive at the end', value: aliveCount, target: '2', met: alive },
          {
            name: `reminders due across stall, loading, oom: sends / lost / duplicated`,
            value: `${t.sends} / ${t.lost} / ${t.duplicated}`,
            target: `${total} / 0 / 0`,
            met: settled && t.lost === 0,
          },
          {
            name: 'embedded redis-server killed: restarted (new pid), reminders sends / lost / duplicated',
            value: `${pidAfter !== pidBefore ? 'yes' : 'no'}, ${k.sends} / ${k.lost} / ${k.duplicated}`,
            target: 'yes, 30 / 0 / 0',
            met: pidAfter !== pidBefore && k.lost === 0,
          },
          { name: 'lateness p50 / p99 / max', value: `${late.p50} / ${late.p99} / ${late.max}`, unit: 'ms' },
        ],
        notes: [
          `REDIS_COMMAND_TIMEOUT_MS=${COMMAND_TIMEOUT_MS}; during OOM reads (list) still answer 200, writes 503; ` +
            'before the client reconnects after a restart, health says down (503), then loading.',
        ],
        details: {
          total,
          fillerKeys,
          phases: phases.map((p) => ({ ...p, probes: undefined, answers: p.probes })),
          tally: t,
          kill: { pidBefore, pidAfter, tally: k },
          lateness: late,
        },
      };
    } finally {
      // SIGTERM, not the lab's SIGKILL: it stops its own redis-server, which would outlive a kill -9.
      await embedded?.stop();
      await lab.close({ keepDir: failed });
      if (failed) process.stderr.write(`redis-faults drill: logs kept in ${lab.dir}\n`);
    }
  });
}
