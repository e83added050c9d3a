import path from 'node:path';
import { Queue, createNodeRedisClient } from 'bullmq';
import { createClient } from 'redis';
import { createAll, lateness, plan, settle, tally, type PlannedReminder } from '../lab/deliveries';
import { LAB_APPID, LAB_SECRET, Lab } from '../lab/lab';
import type { NodeProcess } from '../lab/node-process';
import type { SendJob } from './baselines/bullmq-worker';
import { summarize, type Summary } from '../lab/stats';

export interface FireRunOptions {
  tag: string;
  count: number;
  offsetMs: (i: number) => number; // when the i-th message is due, after the start of the run
  leadMs: number; // time allowed to create everything before the first is due
  concurrency: number; // in-flight sends (SEND_CONCURRENCY / BullMQ worker concurrency)
  timeoutMs: number;
}

export interface FireRunResult {
  system: 'tixing' | 'bullmq';
  count: number;
  sends: number;
  lost: number;
  duplicated: number;
  drainMs: number; // first due time → last accepted send
  throughputPerS: number; // count / (first send → last send)
  lateness: Summary; // accepted by the sandbox − due, ms
  createMs: number; // storing the reminders / adding the jobs
  cpuMsPerSend: number; // CPU of the sending process during the run, ms per message
  redisCpuMsPerSend: number; // CPU of redis-server during the run, ms per message
  redisCommandsPerSend: number; // INFO commandstats calls during the run (those inside Lua included), per message
  redisScriptCallsPerSend: number; // of which EVAL/EVALSHA/FCALL, per message
  writeCallsPerSend: number; // write system calls of the sending process (HTTP and Redis sockets), per message
  bytesWrittenPerSend: number; // bytes those calls wrote, per message
}

/** CPU a redis-server has used so far (user + system), ms, from its INFO cpu. */
export function cpuMsOf(infoCpu: string): number {
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(infoCpu)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** CPU redis-server has used so far (user + system), ms. */
export async function redisCpuMs(lab: Lab): Promise<number> {
  return cpuMsOf(await lab.redis.info('cpu'));
}

const SCRIPT_COMMANDS = /^(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro)$/;

/** All commands and the script calls of an INFO commandstats (see redisCommands). */
export function commandsOf(commandstats: string): { all: number; scripts: number } {
  let all = 0;
  let scripts = 0;
  for (const m of commandstats.matchAll(/^cmdstat_([\w|-]+):calls=(\d+)/gm)) {
    const calls = Number(m[2]);
    all += calls;
    if (SCRIPT_COMMANDS.test(m[1] ?? '')) scripts += calls;
  }
  return { all, scripts };
}

/**
 * Commands redis-server has run so far, from INFO commandstats: all of them (a command a Lua
 * script runs counts too, so this is Redis's work, not its round trips) and the script calls.
 * The lab's own checks are in it only at the end: settle asks Redis (ZCARD, SCAN, GET) once the
 * sends are in and quiet.
 */
export async function redisCommands(lab: Lab): Promise<{ all: number; scripts: number }> {
  return commandsOf(await lab.redis.info('commandstats'));
}

/**
 * Messages due at planned times, sent by one tixing instance (a real `src/main.ts` process) to
 * the sandbox; lateness is measured where WeChat would see it: the sandbox's accept time.
 */
export async function fireWithTixing(options: FireRunOptions): Promise<FireRunResult> {
  const lab = await Lab.open({ name: `bench-${options.tag}` });
  try {
    const tixing = await lab.startTixing('tixing', { SEND_CONCURRENCY: String(options.concurrency) });
    const start = Date.now() + options.leadMs;
    const planned = plan(options.tag, options.count, (i) => start + options.offsetMs(i));
    const { ms: createMs } = await createAll(lab, planned);
    return await measure(lab, tixing, 'tixing', planned, start, createMs, options);
  } finally {
    await lab.close();
  }
}

/** The same messages as BullMQ delayed jobs, consumed by bench/baselines/bullmq-worker.ts. */
export async function fireWithBullmq(options: FireRunOptions): Promise<FireRunResult> {
  const lab = await Lab.open({ name: `bench-${options.tag}-bullmq` });
  const queueName = `bench-${options.tag}`;
  // BullMQ does not close a client it was given: this one is ours to close.
  const connection = createClient({ url: lab.redisServer.url });
  connection.on('error', () => undefined);
  const queue = new Queue<SendJob>(queueName, { connection: createNodeRedisClient(connection) });
  try {
    const worker = await lab.startScript(
      'bullmq-worker',
      path.join(__dirname, 'baselines', 'bullmq-worker.ts'),
      {
        REDIS_URL: lab.redisServer.url,
        QUEUE: queueName,
        CONCURRENCY: String(options.concurrency),
        WX_APPID: LAB_APPID,
        WX_APPSECRET: LAB_SECRET,
        WX_API_BASE: lab.sandboxUrl,
      },
      /bullmq worker ready/,
    );
    const start = Date.now() + options.leadMs;
    const planned = plan(options.tag, options.count, (i) => start + options.offsetMs(i));
    const started = performance.now();
    for (let from = 0; from < planned.length; from += 1000) {
      const now = Date.now();
      await queue.addBulk(
        planned.slice(from, from + 1000).map((p) => ({
          name: 'send',
          data: { openid: lab.openid(p.user), title: p.title, fireAt: p.at },
          opts: { delay: Math.max(0, p.at - now), removeOnComplete: true, removeOnFail: true },
        })),
      );
    }
    const createMs = Math.round(performance.now() - started);
    return await measure(lab, worker, 'bullmq', planned, start, createMs, options);
  } finally {
    await queue.close().catch(() => undefined);
    if (connection.isOpen) await connection.close().catch(() => connection.destroy());
    await lab.close();
  }
}

async function measure(
  lab: Lab,
  sender: NodeProcess,
  system: FireRunResult['system'],
  planned: PlannedReminder[],
  start: number,
  createMs: number,
  options: FireRunOptions,
): Promise<FireRunResult> {
  if (Date.now() > start - 200) {
    throw new Error(
      `${system}: creating ${planned.length} took ${createMs} ms, past the ${options.leadMs} ms lead`,
    );
  }
  const cpuBefore = sender.cpuMs();
  const syscallsBefore = sender.syscalls();
  const redisBefore = await redisCpuMs(lab);
  const commandsBefore = await redisCommands(lab);
  const lastDue = Math.max(...planned.map((p) => p.at));
  const settled = await settle(lab, {
    timeoutMs: lastDue - Date.now() + options.timeoutMs,
    quietMs: 1000,
    minSent: planned.length,
  });
  const cpuMs = sender.cpuMs() - cpuBefore;
  const syscallsAfter = sender.syscalls();
  const writeCalls = syscallsAfter.writes - syscallsBefore.writes;
  const bytesWritten = syscallsAfter.bytesWritten - syscallsBefore.bytesWritten;
  const redisMs = (await redisCpuMs(lab)) - redisBefore;
  const commandsAfter = await redisCommands(lab);
  if (!settled) throw new Error(`${system}: not every message was sent within the timeout`);
  const sent = lab.sandbox.sent;
  const counts = tally(sent, planned);
  const times = sent.map((m) => m.at);
  const first = Math.min(...times);
  const last = Math.max(...times);
  return {
    system,
    count: planned.length,
    sends: counts.sends,
    lost: counts.lost,
    duplicated: counts.duplicated,
    drainMs: last - start,
    throughputPerS: Math.round((planned.length / Math.max(1, last - first)) * 1000),
    lateness: summarize(lateness(sent, planned)),
    createMs,
    cpuMsPerSend: +(cpuMs / Math.max(1, counts.sends)).toFixed(3),
    redisCpuMsPerSend: +(redisMs / Math.max(1, counts.sends)).toFixed(3),
    redisCommandsPerSend: +((commandsAfter.all - commandsBefore.all) / Math.max(1, counts.sends)).toFixed(2),
    writeCallsPerSend: +(writeCalls / Math.max(1, counts.sends)).toFixed(2),
    bytesWrittenPerSend: Math.round(bytesWritten / Math.max(1, counts.sends)),
    redisScriptCallsPerSend: +(
      (commandsAfter.scripts - commandsBefore.scripts) /
      Math.max(1, counts.sends)
    ).toFixed(2),
  };
}
