/**
 * Benchmark `fanout` (issue 13): one notice to 10,000 recipients — a bench-only second kind of
 * occurrence, created in one Lua call — sent by one tixing instance through the same delivery
 * pipeline as reminders (src/delivery/pipeline.ts), concurrency 32, to the sandbox. Rounds
 * alternate with the spike's tixing run (bench/fire-run.ts), so the two drains come from the same
 * run and machine state. Target: fanout drain ≤ 1.1 × spike drain. Also reports Redis commands and
 * redis-server CPU per send, and from the latter the sends per second one Redis can carry.
 *
 * Run as a script (by the benchmark itself) it is the sending process: an Instance as
 * src/main.ts wires it (no HTTP listener), with the fanout kind registered, which submits every
 * recipient at FANOUT_START. Env: the lab's tixing env + FANOUT_START, FANOUT_BATCH, FANOUT_COUNT,
 * FANOUT_TAG. Prints "fanout sender ready".
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { TEMPLATE_ID } from './baselines/bullmq-worker';
import { fireWithTixing, redisCommands, redisCpuMs, type FireRunResult } from './fire-run';
import { lateness, plan, settle, tally } from '../lab/deliveries';
import { LAB_PREFIX, Lab } from '../lab/lab';
import { timed, type Outcome } from '../lab/report';
import { median, ratio, summarize } from '../lab/stats';
import { loadConfig } from '../src/config';
import type { OccurrenceKind, OccurrenceRecord } from '../src/delivery/occurrence-kind';
import type { DeliveryAttempt } from '../src/domain/reminder';
import { Instance } from '../src/instance';
import { createLogger } from '../src/logger';
import { connectRedis, type Redis } from '../src/store/redis';
import { loadTemplates, renderTemplateData, type TemplateCatalog } from '../src/wechat/templates';

// One hash per notice: field <n> = recipient n's openid, <n>:done = its outcome, <n>:attempt = its
// last attempt. Claim keys share the hash's {tag}, so every script's keys sit in one cluster slot.
const CREATE = `for i = 1, #ARGV do redis.call('HSET', KEYS[1], tostring(i - 1), ARGV[i]) end return #ARGV`;
const CLAIM = `
if redis.call('HEXISTS', KEYS[1], ARGV[3] .. ':done') == 1 then return false end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('HGET', KEYS[1], ARGV[3])`;
const RECORD = `
redis.call('HSET', KEYS[1], ARGV[3] .. ':attempt', ARGV[4])
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 'lost' end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[3] .. ':done', ARGV[2])
return 'ok'`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** EVALSHA, loading the script on NOSCRIPT (as src/store/lua-script.ts does for the product's). */
function script(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis: Redis, keys: string[], args: string[]): Promise<unknown> => {
    try {
      return await redis.evalSha(sha, { keys, arguments: args });
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, { keys, arguments: args });
    }
  };
}
const run = { create: script(CREATE), claim: script(CLAIM), record: script(RECORD) };
const extend = script(EXTEND);
const release = script(RELEASE);

const noticeKey = (batch: string) => `${LAB_PREFIX}bench:notice:{${batch}}`;
const claimKey = (batch: string, n: string, slot: number) => `${noticeKey(batch)}:${n}:${slot}:claim`;
// Occurrence ids are `<batch>.<n>`: the recipient n of notice `batch`.
const split = (id: string) => {
  const dot = id.lastIndexOf('.');
  return { batch: id.slice(0, dot), n: id.slice(dot + 1) };
};

interface Recipient {
  id: string;
  openid: string;
}

/** The bench-only kind: a notice's recipient, sent once, titled `<tag><n>` so tally() matches it. */
class NoticeRecipients implements OccurrenceKind<Recipient> {
  readonly name = 'bench-notice';

  constructor(
    private readonly redis: Redis,
    private readonly catalog: TemplateCatalog,
    private readonly tag: string,
  ) {}

  async claim(id: string, slot: number, owner: string, leaseMs: number): Promise<Recipient | null> {
    const { batch, n } = split(id);
    const openid = await run.claim(
      this.redis,
      [noticeKey(batch), claimKey(batch, n, slot)],
      [owner, String(leaseMs), n],
    );
    return typeof openid === 'string' ? { id, openid } : null;
  }

  async extendClaim(id: string, slot: number, owner: string, leaseMs: number): Promise<boolean> {
    const { batch, n } = split(id);
    return (await extend(this.redis, [claimKey(batch, n, slot)], [owner, String(leaseMs)])) === 1;
  }

  async releaseClaim(id: string, slot: number, owner: string): Promise<boolean> {
    const { batch, n } = split(id);
    return (await release(this.redis, [claimKey(batch, n, slot)], [owner])) === 1;
  }

  nextSlot = () => null; // a notice is sent once
  latestSlot = () => null;

  render(r: Recipient, sendAt: number) {
    const title = `${this.tag}${split(r.id).n}`;
    return {
      openid: r.openid,
      templateId: TEMPLATE_ID,
      render: () =>
        renderTemplateData(this.catalog, TEMPLATE_ID, {
          title,
          detail: '',
          fireAt: sendAt,
          timezone: 'Asia/Shanghai',
        }),
    };
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    const { batch, n } = split(id);
    await this.redis.hSet(noticeKey(batch), `${n}:attempt`, JSON.stringify(attempt));
  }

  async record(id: string, _r: Recipient, record: OccurrenceRecord): Promise<'ok' | 'lost'> {
    const { batch, n } = split(id);
    const result = await run.record(
      this.redis,
      [noticeKey(batch), claimKey(batch, n, record.slot)],
      [record.owner, record.outcome, n, JSON.stringify(record.attempt)],
    );
    return result as 'ok' | 'lost';
  }
}

/** The sending process. */
async function sender(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const redis = await connectRedis(config.redisUrl ?? '', logger, 'redis', {
    commandTimeoutMs: config.redisCommandTimeoutMs,
  });
  const catalog = loadTemplates(path.join(__dirname, '..', 'config', 'templates.json'));
  const instance = new Instance({ config, redis, logger, templates: catalog });
  const tag = process.env.FANOUT_TAG ?? 'fanout';
  instance.dispatcher.register(new NoticeRecipients(redis, catalog, tag));
  await instance.start();
  const start = Number(process.env.FANOUT_START);
  const batch = process.env.FANOUT_BATCH ?? 'n1';
  const count = Number(process.env.FANOUT_COUNT);
  setTimeout(
    () => {
      for (let n = 0; n < count; n++) instance.dispatcher.submit('bench-notice', `${batch}.${n}`, start);
    },
    Math.max(0, start - Date.now()),
  );
  process.stdout.write('fanout sender ready\n');
}

export interface FanoutOptions {
  count: number; // default 10,000
  concurrency: number; // default 32, as the spike
  rounds: number; // default 3, each a fanout run and a spike run
}

async function fanoutRound(o: FanoutOptions): Promise<FireRunResult> {
  const lab = await Lab.open({ name: 'bench-fanout' });
  try {
    const tag = 'fanout';
    const batch = 'n1';
    const start = Date.now() + 5000;
    const proc = await lab.startScript(
      'fanout-sender',
      __filename,
      lab.tixingEnv({
        SEND_CONCURRENCY: String(o.concurrency),
        FANOUT_START: String(start),
        FANOUT_BATCH: batch,
        FANOUT_COUNT: String(o.count),
        FANOUT_TAG: tag,
      }),
      /fanout sender ready/,
    );
    const planned = plan(tag, o.count, () => start);
    const created = performance.now();
    // The notice and its 10,000 recipients: one call.
    await run.create(
      lab.redis,
      [noticeKey(batch)],
      planned.map((p) => lab.openid(p.user)),
    );
    const createMs = Math.round(performance.now() - created);
    if (Date.now() > start - 200) throw new Error(`fanout: setting up took past the 5 s lead`);
    const cpuBefore = proc.cpuMs();
    const syscallsBefore = proc.syscalls();
    const redisBefore = await redisCpuMs(lab);
    const commandsBefore = await redisCommands(lab);
    const settled = await settle(lab, { timeoutMs: 120_000, quietMs: 1000, minSent: o.count });
    const cpuMs = proc.cpuMs() - cpuBefore;
    const syscallsAfter = proc.syscalls();
    const redisMs = (await redisCpuMs(lab)) - redisBefore;
    const commandsAfter = await redisCommands(lab);
    if (!settled) throw new Error('fanout: not every message was sent within the timeout');
    const done = Object.entries(await lab.redis.hGetAll(noticeKey(batch))).filter(
      ([field, value]) => field.endsWith(':done') && value === 'sent',
    ).length;
    if (done !== o.count) throw new Error(`fanout: ${done} of ${o.count} recorded as sent`);
    const sent = lab.sandbox.sent;
    const counts = tally(sent, planned);
    const times = sent.map((m) => m.at);
    const first = Math.min(...times);
    const last = Math.max(...times);
    const per = (x: number, digits: number) => +(x / Math.max(1, counts.sends)).toFixed(digits);
    return {
      system: 'tixing',
      count: o.count,
      sends: counts.sends,
      lost: counts.lost,
      duplicated: counts.duplicated,
      drainMs: last - start,
      throughputPerS: Math.round((o.count / Math.max(1, last - first)) * 1000),
      lateness: summarize(lateness(sent, planned)),
      createMs,
      cpuMsPerSend: per(cpuMs, 3),
      redisCpuMsPerSend: per(redisMs, 3),
      redisCommandsPerSend: per(commandsAfter.all - commandsBefore.all, 2),
      redisScriptCallsPerSend: per(commandsAfter.scripts - commandsBefore.scripts, 2),
      writeCallsPerSend: per(syscallsAfter.writes - syscallsBefore.writes, 2),
      bytesWrittenPerSend: per(syscallsAfter.bytesWritten - syscallsBefore.bytesWritten, 0),
    };
  } finally {
    await lab.close();
  }
}

export function fanout(options: Partial<FanoutOptions> = {}): Promise<Outcome> {
  const o: FanoutOptions = { count: 10_000, concurrency: 32, rounds: 3, ...options };
  const title = `one notice to ${o.count} recipients (a second kind, created in one call), concurrency ${o.concurrency}, ${o.rounds} rounds alternating with the spike's`;
  return timed('fanout', title, async () => {
    const fan: FireRunResult[] = [];
    const spk: FireRunResult[] = [];
    const spikeRun = {
      tag: 'spike',
      count: o.count,
      offsetMs: () => 0,
      leadMs: 8000,
      concurrency: o.concurrency,
      timeoutMs: 120_000,
    };
    for (let round = 0; round < o.rounds; round++) {
      const order = round % 2 === 0 ? ['fanout', 'spike'] : ['spike', 'fanout'];
      for (const which of order) {
        const r = which === 'fanout' ? await fanoutRound(o) : await fireWithTixing(spikeRun);
        (which === 'fanout' ? fan : spk).push(r);
        process.stdout.write(
          `  round ${round + 1} ${which}: drain ${r.drainMs} ms, CPU/msg ${r.cpuMsPerSend} ms + redis ${r.redisCpuMsPerSend} ms, ` +
            `redis cmds/msg ${r.redisCommandsPerSend} (scripts ${r.redisScriptCallsPerSend}), sends ${r.sends}, lost ${r.lost}, dup ${r.duplicated}\n`,
        );
      }
    }
    const m = (runs: FireRunResult[], f: (r: FireRunResult) => number) => median(runs.map(f));
    const drainF = m(fan, (r) => r.drainMs);
    const drainS = m(spk, (r) => r.drainMs);
    const drainRatio = ratio(drainF, drainS);
    const redisF = m(fan, (r) => r.redisCpuMsPerSend);
    const redisS = m(spk, (r) => r.redisCpuMsPerSend);
    const sends = fan.reduce((s, r) => s + r.sends, 0);
    const lost = fan.reduce((s, r) => s + r.lost, 0);
    const dup = fan.reduce((s, r) => s + r.duplicated, 0);
    const capacity = (msPerSend: number) => Math.round(1000 / msPerSend);
    return {
      baselineName: "the spike's tixing run (10,000 reminders due at one second), alternating rounds",
      figures: [
        {
          name: 'drain time (median of rounds)',
          value: drainF,
          unit: 'ms',
          baseline: drainS,
          ratio: drainRatio,
          target: '≤ 1.1 × spike',
          met: drainF / drainS <= 1.1, // the verdict on the unrounded ratio
        },
        {
          name: 'per-round drain ratios',
          value: fan.map((r, i) => ratio(r.drainMs, spk[i]?.drainMs ?? NaN)).join(', '),
        },
        { name: `creating the ${o.count} (one call)`, value: m(fan, (r) => r.createMs), unit: 'ms' },
        {
          name: 'CPU per message: sending process (median)',
          value: m(fan, (r) => r.cpuMsPerSend),
          unit: 'ms',
          baseline: m(spk, (r) => r.cpuMsPerSend),
          ratio: ratio(
            m(fan, (r) => r.cpuMsPerSend),
            m(spk, (r) => r.cpuMsPerSend),
          ),
        },
        {
          name: 'CPU per message: redis-server (median)',
          value: redisF,
          unit: 'ms',
          baseline: redisS,
          ratio: ratio(redisF, redisS),
        },
        {
          name: 'Redis commands per message, Lua-internal included (median)',
          value: m(fan, (r) => r.redisCommandsPerSend),
          baseline: m(spk, (r) => r.redisCommandsPerSend),
        },
        {
          name: 'of which script calls (EVALSHA) per message',
          value: m(fan, (r) => r.redisScriptCallsPerSend),
          baseline: m(spk, (r) => r.redisScriptCallsPerSend),
        },
        {
          name: 'sends/s one Redis can carry (1 / redis CPU per send, one core at 100 %)',
          value: capacity(redisF),
          unit: 'msg/s',
          baseline: capacity(redisS),
        },
        {
          name: 'sends / lost / duplicated (all rounds)',
          value: `${sends} / ${lost} / ${dup}`,
          target: `${o.count * o.rounds} / 0 / 0`,
          met: sends === o.count * o.rounds && lost === 0 && dup === 0,
        },
      ],
      notes: [
        'sends/s one Redis can carry assumes redis-server (single-threaded) at 100 % of one core doing only this; ' +
          'the lab polls Redis a few times a second during a run, included in the commands and CPU.',
      ],
      details: { options: o, fanout: fan, spike: spk },
    };
  });
}

if (require.main === module) {
  sender().catch((err: Error) => {
    process.stderr.write(`fanout sender failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
