/**
 * Benchmark `cluster` (issue 19): 10,000 reminders due at the same second, two tixing instances
 * (real `src/main.ts` processes, SEND_CONCURRENCY=32) sending to the sandbox, on a real Redis
 * Cluster (3 masters + 3 replicas, lab/redis-cluster.ts) and, in the same run, on one
 * redis-server; rounds alternate the order (CLUSTER_ROUNDS, default 3), medians are reported.
 * Besides the drain, it reads INFO cpu and commandstats of every node before and after the
 * drain, so the CPU a send costs Redis is known per master, and with it how many sends per second
 * one master (one shard of the keyspace) can carry. No target on the ratio: it says what the
 * cluster costs or gains on one machine, where every node shares the same two cores.
 */
import { allShards } from '../src/store/shards';
import { createAll, plan, settle, tally, type PlannedReminder } from '../lab/deliveries';
import { commandsOf, cpuMsOf } from './fire-run';
import { Lab, type Tixing } from '../lab/lab';
import { nodeCommand } from '../lab/redis-cluster';
import { timed, type Outcome } from '../lab/report';
import { median, ratio } from '../lab/stats';
import { sleep } from '../lab/wait';

export interface ClusterBenchOptions {
  count: number; // reminders due at the same second, default 10,000
  instances: number; // tixing processes sharing the Redis, default 2
  concurrency: number; // SEND_CONCURRENCY of each, default 32
  rounds: number; // default 3 (CLUSTER_ROUNDS)
  leadMs: number; // creating everything must fit before the due time, default 20 s
}

type System = 'cluster' | 'single';

/** Counters of one redis-server, read from INFO. */
interface NodeCounters {
  cpuMs: number; // used_cpu_user + used_cpu_sys
  commands: number; // every call of INFO commandstats (those inside Lua included)
  scripts: number; // of which EVAL/EVALSHA/FCALL
}

/** What one master did during one drain. */
export interface MasterUse {
  port: number;
  sends: number; // the reminders of the run whose shard this master serves
  cpuMs: number;
  commands: number;
}

export interface ClusterRunResult {
  system: System;
  count: number;
  sends: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  drainMs: number; // due time → last accepted send
  throughputPerS: number; // count / (first send → last send)
  createMs: number;
  tixingCpuMsPerSend: number; // both instances, ms per message
  redisCpuMsPerSend: number; // every master, ms per message
  busiestMasterCpuMsPerSend: number; // the master that used most CPU, per message of the whole run
  busiestMasterShare: number; // share of the run's reminders that master serves (1 on one Redis)
  perShardCeilingPerS: number; // 1 / (busiest master's CPU per send it served): what one shard carries
  wholeCeilingPerS: number; // 1 / busiestMasterCpuMsPerSend: the sends/s at which that master is saturated
  replicaCpuMsPerSend: number; // every replica, ms per message (0 on one Redis)
  redisCommandsPerSend: number; // every master
  redisScriptCallsPerSend: number;
  masters: MasterUse[];
}

function parseCounters(cpu: string, commandstats: string): NodeCounters {
  const { all, scripts } = commandsOf(commandstats);
  return { cpuMs: cpuMsOf(cpu), commands: all, scripts };
}

/** Every master's counters (over the lab's connections) and every replica's, by port. */
async function sampleNodes(lab: Lab): Promise<{ masters: Map<number, NodeCounters>; replicas: number }> {
  const masters = new Map<number, NodeCounters>();
  for (const { port, client } of await lab.redisMasters()) {
    masters.set(port, parseCounters(await client.info('cpu'), await client.info('commandstats')));
  }
  let replicas = 0;
  for (const node of (await lab.cluster?.describe()) ?? []) {
    if (node.role !== 'replica') continue;
    replicas += parseCounters(await nodeCommand(node.port, ['INFO', 'cpu']), '').cpuMs;
  }
  return { masters, replicas };
}

/** How many of `ids` each master serves: a reminder lives in its shard, a shard in one slot. */
async function sendsByMaster(lab: Lab, ids: string[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const cluster = lab.cluster;
  const portOfShard = new Map<number, number>();
  for (const shard of allShards(lab.keys.dueShards)) {
    portOfShard.set(shard, cluster ? await cluster.masterPortOf(lab.keys.due(shard)) : lab.redisServer.port);
  }
  for (const id of ids) {
    const port = portOfShard.get(lab.keys.reminderShard(id)) as number;
    out.set(port, (out.get(port) ?? 0) + 1);
  }
  return out;
}

async function runOnce(system: System, o: ClusterBenchOptions, round: number): Promise<ClusterRunResult> {
  const lab = await Lab.open({ name: `bench-cluster-${system}`, cluster: system === 'cluster' });
  try {
    const instances: Tixing[] = await Promise.all(
      Array.from({ length: o.instances }, (_, i) =>
        lab.startTixing(`tixing-${i}`, { SEND_CONCURRENCY: String(o.concurrency) }),
      ),
    );
    const start = Date.now() + o.leadMs;
    const planned: PlannedReminder[] = plan(`c${round}${system[0]}`, o.count, () => start);
    const { ids, ms: createMs } = await createAll(lab, planned, 64);
    if (Date.now() > start - 200) {
      throw new Error(`${system}: creating ${o.count} took ${createMs} ms, past the ${o.leadMs} ms lead`);
    }
    const shares = await sendsByMaster(lab, ids);
    // The counters start just before the due time: the wait before it (sweeps of an empty
    // schedule, the cluster bus) is no send's cost.
    await sleep(start - 300 - Date.now());
    const cpuBefore = instances.map((i) => i.cpuMs());
    const before = await sampleNodes(lab);
    const settled = await settle(lab, { timeoutMs: o.leadMs + 120_000, quietMs: 1000, minSent: o.count });
    const after = await sampleNodes(lab);
    const tixingCpuMs = instances.reduce((sum, inst, i) => sum + inst.cpuMs() - (cpuBefore[i] ?? 0), 0);
    if (!settled) throw new Error(`${system}: not every reminder was sent within the timeout`);

    const sent = lab.sandbox.sent;
    const t = tally(sent, planned);
    const times = sent.map((m) => m.at);
    const per = (x: number, digits = 3) => +(x / Math.max(1, t.sends)).toFixed(digits);
    const masters: MasterUse[] = [...after.masters].map(([port, a]) => {
      const b = before.masters.get(port) ?? { cpuMs: a.cpuMs, commands: a.commands, scripts: a.scripts };
      return {
        port,
        sends: shares.get(port) ?? 0,
        cpuMs: a.cpuMs - b.cpuMs,
        commands: a.commands - b.commands,
      };
    });
    const scripts = [...after.masters].reduce(
      (sum, [port, a]) => sum + a.scripts - (before.masters.get(port)?.scripts ?? a.scripts),
      0,
    );
    const busiest = masters.reduce((max, m) => (m.cpuMs > max.cpuMs ? m : max));
    const redisCpuMs = masters.reduce((sum, m) => sum + m.cpuMs, 0);
    return {
      system,
      count: o.count,
      sends: t.sends,
      lost: t.lost,
      duplicated: t.duplicated,
      unexpected: t.unexpected,
      drainMs: Math.max(...times) - start,
      throughputPerS: Math.round((o.count / Math.max(1, Math.max(...times) - Math.min(...times))) * 1000),
      createMs,
      tixingCpuMsPerSend: per(tixingCpuMs),
      redisCpuMsPerSend: per(redisCpuMs),
      busiestMasterCpuMsPerSend: per(busiest.cpuMs),
      busiestMasterShare: +(busiest.sends / o.count).toFixed(3),
      perShardCeilingPerS: Math.round(1000 / (busiest.cpuMs / Math.max(1, busiest.sends))),
      wholeCeilingPerS: Math.round(1000 / per(busiest.cpuMs, 6)),
      replicaCpuMsPerSend: per(after.replicas - before.replicas),
      redisCommandsPerSend: per(
        masters.reduce((sum, m) => sum + m.commands, 0),
        2,
      ),
      redisScriptCallsPerSend: per(scripts, 2),
      masters,
    };
  } finally {
    await lab.close();
  }
}

export function cluster(options: Partial<ClusterBenchOptions> = {}): Promise<Outcome> {
  // CLUSTER_ROUNDS: fewer rounds while iterating; the published figure is the default 3.
  const rounds = Number(process.env.CLUSTER_ROUNDS) || 3;
  const o: ClusterBenchOptions = {
    count: 10_000,
    instances: 2,
    concurrency: 32,
    rounds,
    leadMs: 20_000,
    ...options,
  };
  const title =
    `${o.count} reminders due at the same second, ${o.instances} instances, concurrency ${o.concurrency}, ` +
    `Redis Cluster (3 masters + 3 replicas) vs one redis-server, ${o.rounds} rounds`;
  return timed('cluster', title, async () => {
    const runs: Record<System, ClusterRunResult[]> = { cluster: [], single: [] };
    for (let round = 0; round < o.rounds; round++) {
      const order: System[] = round % 2 === 0 ? ['cluster', 'single'] : ['single', 'cluster'];
      for (const system of order) {
        const r = await runOnce(system, o, round);
        runs[system].push(r);
        process.stdout.write(
          `  round ${round + 1} ${system}: drain ${r.drainMs} ms, ${r.throughputPerS}/s, create ${r.createMs} ms, ` +
            `CPU/msg tixing ${r.tixingCpuMsPerSend} ms, redis ${r.redisCpuMsPerSend} ms ` +
            `(busiest master ${r.busiestMasterCpuMsPerSend} ms, ${Math.round(r.busiestMasterShare * 100)}% of sends; ` +
            `replicas ${r.replicaCpuMsPerSend} ms), cmds/msg ${r.redisCommandsPerSend}, ` +
            `sends ${r.sends}, lost ${r.lost}, dup ${r.duplicated}\n`,
        );
      }
    }
    const c = runs.cluster;
    const s = runs.single;
    const med = (list: ClusterRunResult[], pick: (r: ClusterRunResult) => number) => median(list.map(pick));
    const drainC = med(c, (r) => r.drainMs);
    const drainS = med(s, (r) => r.drainMs);
    const verdict = (list: ClusterRunResult[]) => {
      const sends = list.reduce((sum, r) => sum + r.sends, 0);
      const lost = list.reduce((sum, r) => sum + r.lost, 0);
      const dup = list.reduce((sum, r) => sum + r.duplicated, 0);
      const unexpected = list.reduce((sum, r) => sum + r.unexpected, 0);
      return {
        value: `${sends} / ${lost} / ${dup}`,
        met: sends === o.count * o.rounds && lost === 0 && dup === 0 && unexpected === 0,
      };
    };
    const vc = verdict(c);
    const vs = verdict(s);
    const row = (name: string, pick: (r: ClusterRunResult) => number, unit?: string) => {
      const value = med(c, pick);
      const baseline = med(s, pick);
      return { name, value, unit, baseline, ratio: ratio(value, baseline) };
    };
    return {
      baselineName:
        'the same 10,000 and two instances on one redis-server (AOF on, as each cluster node), same run',
      figures: [
        {
          name: 'drain time, due → last send (median of rounds)',
          value: drainC,
          unit: 'ms',
          baseline: drainS,
          ratio: ratio(drainC, drainS),
          target: 'none: what the cluster costs on one machine',
        },
        {
          name: 'per-round drain ratios',
          value: c.map((r, i) => ratio(r.drainMs, s[i]?.drainMs ?? NaN)).join(', '),
        },
        row('throughput', (r) => r.throughputPerS, 'msg/s'),
        row('CPU per send: both tixing processes', (r) => r.tixingCpuMsPerSend, 'ms'),
        row('CPU per send: redis-server, every master', (r) => r.redisCpuMsPerSend, 'ms'),
        row('CPU per send: the busiest master (of all sends)', (r) => r.busiestMasterCpuMsPerSend, 'ms'),
        row("share of the sends in the busiest master's shards", (r) => r.busiestMasterShare),
        {
          name: 'CPU per send: every replica',
          value: med(c, (r) => r.replicaCpuMsPerSend),
          unit: 'ms',
          baseline: 0,
        },
        row('Redis commands per send, every master, Lua-internal included', (r) => r.redisCommandsPerSend),
        row('of which script calls', (r) => r.redisScriptCallsPerSend),
        row(
          'sends/s one Redis can carry: one master (its CPU per send it served) vs one redis-server',
          (r) => r.perShardCeilingPerS,
          'msg/s',
        ),
        row('sends/s until the busiest master is at one core', (r) => r.wholeCeilingPerS, 'msg/s'),
        {
          name: 'sends / lost / duplicated (all rounds)',
          value: vc.value,
          baseline: vs.value,
          target: `${o.count * o.rounds} / 0 / 0 on both`,
          met: vc.met && vs.met,
        },
      ],
      notes: [
        'CPU from INFO cpu and commands from INFO commandstats of every node, from 0.3 s before the due time until ' +
          'everything is sent and 1 s quiet; the lab asks Redis (ZCARD of each due shard, SCAN of every master) only once the sends are in and quiet, ' +
          'a few commands a second, included. ' +
          'Every node and both instances share the same cores, so the drain ratio is a one-machine figure; ' +
          "the CPU per send is what carries over. A master's ceiling assumes its redis-server at 100 % of one core.",
      ],
      details: { options: o, cluster: c, single: s },
    };
  });
}
