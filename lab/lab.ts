import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { RedisServer } from '../src/infra/redis-server';
import { Instance } from '../src/instance';
import { createLogger } from '../src/logger';
import { WeChatSandbox } from '../src/sandbox/wechat-sandbox';
import { Keys } from '../src/store/keys';
import { ReminderStore } from '../src/store/reminder-store';
import { closeRedis, connectRedis, isCluster, type Redis, type RedisClient } from '../src/store/redis';
import { NodeProcess } from './node-process';
import { RedisCluster } from './redis-cluster';
import { Tixing } from './tixing';

export { Tixing };

export const LAB_APPID = 'wx00000000000000a1';
export const LAB_SECRET = 'lab-secret-0123456789abcdef';
export const LAB_PREFIX = 'tixing:';

// TIXING_CPU_PROF=<dir>: every tixing process of a lab (and every baseline script) writes a V8 CPU profile there (node
// --cpu-prof), and labs stop their processes with SIGTERM instead of SIGKILL so the profile is written.
const CPU_PROFILE_DIR = process.env.TIXING_CPU_PROF;

// Scratch folders of labs still open, removed on exit even when a drill crashes.
const openDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of openDirs) rmSync(dir, { recursive: true, force: true });
});

export interface LabOptions {
  name: string;
  appendOnly?: boolean; // AOF of the private redis-server, default true (outages must not lose data)
  redisArgs?: string[]; // more redis-server arguments (the redis-faults drill slows its loading)
  cluster?: boolean; // a real Redis Cluster (3 masters + 3 replicas, AOF on) instead of one redis-server, default false
}

/** What a lab's Redis is: one redis-server, or the servers of a cluster. */
type LabRedis = { kind: 'single'; server: RedisServer } | { kind: 'cluster'; cluster: RedisCluster };

/**
 * Everything a drill or a benchmark runs against, on loopback only: a private redis-server on a
 * free port (never the operator's) or, with `cluster: true`, a private Redis Cluster (redis-cluster.ts),
 * the WeChat sandbox in this process, and tixing instances as real `src/main.ts` processes pointed
 * at both. close() stops all of it and removes the scratch folder; a process exit does the same
 * (see node-process.ts for the children).
 */
export class Lab {
  // BENCH_DUE_SHARDS (tixingEnv): the lab reads reminders in the layout its instances use.
  readonly keys = new Keys(LAB_PREFIX, Number(process.env.BENCH_DUE_SHARDS) || undefined);
  readonly processes: NodeProcess[] = [];
  private creatorInstance: Instance | undefined;
  private closed = false;

  private constructor(
    readonly name: string,
    readonly dir: string,
    private readonly servers: LabRedis,
    readonly redis: Redis, // a cluster client on a cluster lab: commands are routed, SCAN covers every master
    readonly sandbox: WeChatSandbox,
    readonly sandboxUrl: string,
  ) {}

  static async open(options: LabOptions): Promise<Lab> {
    const dir = mkdtempSync(path.join(tmpdir(), `tixing-${options.name}-`));
    openDirs.add(dir);
    let servers: LabRedis;
    if (options.cluster) {
      if (options.appendOnly === false || options.redisArgs) {
        throw new Error('a cluster lab runs its nodes with AOF and no extra redis-server arguments');
      }
      servers = { kind: 'cluster', cluster: await RedisCluster.start({ dir, name: 'cluster' }) };
    } else {
      const server = await RedisServer.start({
        dir: path.join(dir, 'redis'),
        appendOnly: options.appendOnly ?? true,
        args: options.redisArgs,
      });
      servers = { kind: 'single', server };
    }
    try {
      const url = servers.kind === 'cluster' ? servers.cluster.url : servers.server.url;
      // The lab's own client loads data in big pipelines: a generous deadline, unlike the product's.
      const redis = await connectRedis(url, createLogger({ level: 'silent' }), 'lab', {
        commandTimeoutMs: 60_000,
      });
      const sandbox = new WeChatSandbox({ appId: LAB_APPID, appSecret: LAB_SECRET });
      const sandboxUrl = await sandbox.start(0, '127.0.0.1');
      return new Lab(options.name, dir, servers, redis, sandbox, sandboxUrl);
    } catch (err) {
      await stopServers(servers);
      throw err;
    }
  }

  /** REDIS_URL of this lab's instances: the one server, or every node of the cluster. */
  get redisUrl(): string {
    return this.servers.kind === 'cluster' ? this.servers.cluster.url : this.servers.server.url;
  }

  /** The one redis-server (drills that stop or pause it); a cluster lab has none. */
  get redisServer(): RedisServer {
    if (this.servers.kind === 'cluster') {
      throw new Error(`${this.name} runs on a Redis Cluster: it has no single redis-server`);
    }
    return this.servers.server;
  }

  /** The cluster of a cluster lab, else undefined. */
  get cluster(): RedisCluster | undefined {
    return this.servers.kind === 'cluster' ? this.servers.cluster : undefined;
  }

  /**
   * A connection to each node that holds data, with its port: the one redis-server, or every master
   * of the cluster now (INFO cpu and commandstats are per node).
   */
  async redisMasters(): Promise<{ port: number; client: RedisClient }[]> {
    const redis = this.redis;
    if (!isCluster(redis)) return [{ port: this.redisServer.port, client: redis }];
    return Promise.all(
      redis.masters.map(async (master) => ({
        port: master.port,
        // Node connections are single clients; node-redis types them by the cluster's generics.
        client: (await redis.nodeClient(master)) as unknown as RedisClient,
      })),
    );
  }

  /** The environment of a tixing process of this lab (README.md#configuration), with `overrides` applied. */
  tixingEnv(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: this.redisUrl,
      REDIS_PREFIX: LAB_PREFIX,
      WX_APPID: LAB_APPID,
      WX_APPSECRET: LAB_SECRET,
      WX_API_BASE: this.sandboxUrl,
      QUOTA_MODE: 'ignore',
      // Drills and benchmarks send thousands of messages to one user: the daily cap
      // (docs/architecture.md#per-user-daily-send-limit) is not what they measure.
      USER_DAILY_SEND_LIMIT: '100000',
      LOG_LEVEL: 'info',
      // BENCH_DUE_SHARDS: measure another shard count than DUE_SHARDS' default, e.g. 1 on one Redis.
      ...(process.env.BENCH_DUE_SHARDS ? { DUE_SHARDS: process.env.BENCH_DUE_SHARDS } : {}),
      ...overrides,
    };
  }

  /** Starts one more tixing instance (`node --import tsx src/main.ts`) and waits for "listening on". */
  async startTixing(name: string, env: Record<string, string> = {}, nodeArgs?: string[]): Promise<Tixing> {
    const profile = CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROFILE_DIR)}`] : [];
    const proc = new Tixing({
      name,
      cwd: this.dir,
      env: this.tixingEnv(env),
      nodeArgs: [...profile, ...(nodeArgs ?? [])],
    });
    this.processes.push(proc);
    await proc.start();
    return proc;
  }

  /** Starts another Node script of ours (a baseline) as a process of this lab. */
  async startScript(
    name: string,
    script: string,
    env: Record<string, string>,
    ready: RegExp,
    nodeArgs?: string[],
  ): Promise<NodeProcess> {
    const profile = CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROFILE_DIR)}`] : [];
    const proc = new NodeProcess({
      name,
      script,
      cwd: this.dir,
      env,
      ready,
      nodeArgs: [...profile, ...(nodeArgs ?? [])],
    });
    this.processes.push(proc);
    await proc.start();
    return proc;
  }

  /**
   * An in-process tixing Instance that only writes: `creator().reminders.create(openid, input)`
   * stores a reminder through the product's own path (Lua create + pub/sub to every instance),
   * announcing what is due within the default horizon as an API instance does. Its scheduler is
   * never started and holds nothing, so it never sends.
   */
  creator(): Instance {
    if (!this.creatorInstance) {
      const config = loadConfig(this.tixingEnv({ LOG_LEVEL: 'silent' }));
      this.creatorInstance = new Instance({
        config,
        redis: this.redis,
        logger: createLogger({ level: 'silent' }),
      });
    }
    return this.creatorInstance;
  }

  /** A sandbox user's openid (valid for subscribe/send). */
  openid(user: string): string {
    return this.sandbox.openIdFor(user);
  }

  /** Claim keys alive now, with their owner (`<pid>-<hex>:<uuid>`). */
  async claims(): Promise<{ key: string; owner: string }[]> {
    const out: { key: string; owner: string }[] = [];
    for await (const batch of this.redis.scanIterator({ MATCH: `${LAB_PREFIX}claim:*`, COUNT: 1000 })) {
      const keys = batch as unknown as string[];
      if (keys.length === 0) continue;
      // One GET per key: on a cluster the claims of a batch are in many slots.
      const owners = await Promise.all(keys.map((key) => this.redis.get(key)));
      keys.forEach((key, i) => {
        const owner = owners[i];
        if (owner) out.push({ key, owner });
      });
    }
    return out;
  }

  async dueCount(): Promise<number> {
    return new ReminderStore(this.redis, this.keys).dueCount();
  }

  /** Kills every process, stops the sandbox and redis-server, removes the scratch folder. */
  async close(options: { keepDir?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.processes.map((p) => (CPU_PROFILE_DIR ? p.stop() : p.kill9())));
    await closeRedis(this.redis).catch(() => undefined);
    await this.sandbox.stop().catch(() => undefined);
    await stopServers(this.servers);
    openDirs.delete(this.dir);
    if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

async function stopServers(servers: LabRedis): Promise<void> {
  await (servers.kind === 'cluster' ? servers.cluster.stop() : servers.server.stop()).catch(() => undefined);
}
