/**
 * Benchmark 4, API: POST /api/reminders on a tixing instance (a real `src/main.ts` process,
 * LOG_LEVEL=info as shipped) with 64 connections for 10 s (autocannon), each request a signed-in
 * user creating a one-shot reminder; against a bare Koa route doing one HSET in the same run.
 * Two rounds, order swapped, after a warm-up of each. Target: ≥ 0.5 of the bare route's throughput.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Lab } from '../lab/lab';
import { login } from '../lab/login';
import type { NodeProcess } from '../lab/node-process';
import { timed, type Outcome } from '../lab/report';
import { ratio } from '../lab/stats';

export interface ApiOptions {
  connections: number; // default 64
  seconds: number; // default 10
  rounds: number; // default 2
  users: number; // signed-in users the requests rotate over (500 pending each), default 1024
}

interface CannonResult {
  requestsPerS: number;
  latencyP50: number;
  latencyP99: number;
  ok: number;
  non2xx: number;
  errors: number;
  cpuMsPerRequest: number; // CPU of the server process (user + system) per request
  redisCpuMsPerRequest: number; // CPU of redis-server per request
}

/** CPU (user + system) a process has used, in ms, from /proc (Linux; USER_HZ 100). */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function cannon(
  server: NodeProcess,
  redisPid: number | undefined,
  url: string,
  tokens: string[],
  connections: number,
  seconds: number,
): Promise<CannonResult> {
  let n = 0;
  const cpuBefore = server.cpuMs();
  const redisBefore = processCpuMs(redisPid);
  const result = await autocannon({
    url: `${url}/api/reminders`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          n += 1;
          return {
            ...request,
            headers: { ...request.headers, authorization: `Bearer ${tokens[n % tokens.length]}` },
            body: JSON.stringify({ title: `api ${n}`, at: Date.now() + 3600_000 + (n % 86_400) * 1000 }),
          };
        },
      },
    ],
  });
  const ok = result.requests.total - result.non2xx;
  const cpuMsPerRequest = +((server.cpuMs() - cpuBefore) / Math.max(1, result.requests.total)).toFixed(3);
  const redisCpuMsPerRequest = +(
    (processCpuMs(redisPid) - redisBefore) /
    Math.max(1, result.requests.total)
  ).toFixed(3);
  return {
    cpuMsPerRequest,
    redisCpuMsPerRequest,
    requestsPerS: Math.round(ok / result.duration),
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export function api(options: Partial<ApiOptions> = {}): Promise<Outcome> {
  const o: ApiOptions = { connections: 64, seconds: 10, rounds: 2, users: 1024, ...options };
  const title = `POST /api/reminders, ${o.connections} connections, ${o.seconds} s × ${o.rounds} rounds`;
  return timed('api', title, async () => {
    const lab = await Lab.open({ name: 'bench-api' });
    try {
      const tixing = await lab.startTixing('tixing');
      const bare = await lab.startScript(
        'bare-koa',
        path.join(__dirname, 'baselines', 'bare-koa.ts'),
        { REDIS_URL: lab.redisServer.url, PORT: '0' },
        /bare koa listening on (http:\/\/[\d.]+:\d+)/,
      );
      const bareUrl = bare.readyMatch as string;
      const tokens: string[] = [];
      for (let i = 0; i < o.users; i += 16) {
        const batch = Array.from({ length: Math.min(16, o.users - i) }, (_, j) =>
          login(tixing.url, `api-user${i + j}#1`),
        );
        tokens.push(...(await Promise.all(batch)));
      }
      // Warm-up (JIT, connection pools, Redis script cache), not measured.
      const redisPid = lab.redisServer.pid;
      await cannon(tixing, redisPid, tixing.url, tokens, o.connections, 2);
      await cannon(bare, redisPid, bareUrl, tokens, o.connections, 2);
      const ours: CannonResult[] = [];
      const base: CannonResult[] = [];
      for (let round = 0; round < o.rounds; round++) {
        const order = round % 2 === 0 ? (['bare', 'tixing'] as const) : (['tixing', 'bare'] as const);
        for (const system of order) {
          const r =
            system === 'tixing'
              ? await cannon(tixing, redisPid, tixing.url, tokens, o.connections, o.seconds)
              : await cannon(bare, redisPid, bareUrl, tokens, o.connections, o.seconds);
          (system === 'tixing' ? ours : base).push(r);
          process.stdout.write(
            `  round ${round + 1} ${system}: ${r.requestsPerS} req/s, p99 ${r.latencyP99} ms, ` +
              `${r.cpuMsPerRequest} ms CPU/request (redis-server ${r.redisCpuMsPerRequest}), non-2xx ${r.non2xx}, errors ${r.errors}\n`,
          );
        }
      }
      const mean = (rs: CannonResult[], k: keyof CannonResult, digits = 0) =>
        +(rs.reduce((s, r) => s + r[k], 0) / rs.length).toFixed(digits);
      const rpsT = mean(ours, 'requestsPerS');
      const rpsB = mean(base, 'requestsPerS');
      const throughputRatio = ratio(rpsT, rpsB);
      const failed = ours.reduce((s, r) => s + r.non2xx + r.errors, 0);
      return {
        baselineName: 'bare Koa route + koa-bodyparser + one HSET (node-redis), same machine, same run',
        figures: [
          {
            name: 'throughput (mean of rounds)',
            value: rpsT,
            unit: 'req/s',
            baseline: rpsB,
            ratio: throughputRatio,
            target: '≥ 0.5 × bare route',
            met: rpsT / rpsB >= 0.5, // the verdict on the unrounded ratio
          },
          {
            name: 'latency p50',
            value: mean(ours, 'latencyP50'),
            unit: 'ms',
            baseline: mean(base, 'latencyP50'),
          },
          {
            name: 'latency p99',
            value: mean(ours, 'latencyP99'),
            unit: 'ms',
            baseline: mean(base, 'latencyP99'),
          },
          {
            name: 'server CPU per request',
            value: mean(ours, 'cpuMsPerRequest', 3),
            unit: 'ms',
            baseline: mean(base, 'cpuMsPerRequest', 3),
            ratio: ratio(mean(ours, 'cpuMsPerRequest', 3), mean(base, 'cpuMsPerRequest', 3)),
          },
          {
            name: 'redis-server CPU per request',
            value: mean(ours, 'redisCpuMsPerRequest', 3),
            unit: 'ms',
            baseline: mean(base, 'redisCpuMsPerRequest', 3),
            ratio: ratio(mean(ours, 'redisCpuMsPerRequest', 3), mean(base, 'redisCpuMsPerRequest', 3)),
          },
          { name: 'non-2xx + errors', value: failed, target: '0', met: failed === 0 },
        ],
        notes: [
          'Each tixing request: request id + one info log line, the session from memory (read once per session over a ' +
            'tracked connection; Redis invalidates it), joi validation, template check, the id (INCR of the user’s shard), ' +
            'the create Lua script (HSET of the fields that are not empty, 2 ZADD, SADD and the HGET of the template’s grants for the answer; no PUBLISH: ' +
            'each is due after the 15-minute horizon, and the sweeps load it as its time nears); routes matched within the request’s resource; no read-back.',
        ],
        details: { options: o, tixing: ours, bare: base },
      };
    } finally {
      await lab.close();
    }
  });
}
