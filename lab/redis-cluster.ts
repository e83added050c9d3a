import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { RedisServer } from '../src/infra/redis-server';

const run = promisify(execFile);

/** A cluster node's bus listens on its port + 10000: both must be free, and below 65536. */
const BUS_OFFSET = 10_000;

export interface ClusterOptions {
  masters?: number; // default 3, each with one replica
  nodeTimeoutMs?: number; // cluster-node-timeout: how soon a dead master's replica takes over, default 1000
  readyTimeoutMs?: number; // bound of start() and of a failover wait, default 30 s
  dir?: string; // parent of the nodes' folders, default a new temp dir (removed by stop())
  name?: string; // names the temp dir, default "cluster"
}

/** One node as CLUSTER NODES sees it. */
export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  masterId: string | undefined; // a replica's master
  failed: boolean;
  slots: number; // how many slots a master serves
  slotRanges: [number, number][]; // which, inclusive ranges
}

/**
 * A real Redis Cluster on loopback, for the tests (test/support/cluster.ts), the drills and the
 * benchmarks (lab.ts): `masters` masters and as many replicas, each a redis-server (Debian's, ≥ 7)
 * with `--cluster-enabled yes` and AOF on free ports in its own folder, joined by
 * `redis-cli --cluster create --cluster-replicas 1`. Every wait is bounded; stop() removes the
 * processes and the folders, and a failed start() cleans up what it had started.
 */
export class RedisCluster {
  private constructor(
    readonly nodes: RedisServer[],
    private readonly dir: string,
    private readonly readyTimeoutMs: number,
  ) {}

  static async start(options: ClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    const dir = mkdtempSync(path.join(options.dir ?? tmpdir(), `tixing-${options.name ?? 'cluster'}-`));
    const cluster = new RedisCluster([], dir, readyTimeoutMs);
    try {
      for (const port of await freeClusterPorts(masters * 2)) {
        const nodeDir = path.join(dir, String(port));
        cluster.nodes.push(
          await RedisServer.start({
            dir: nodeDir,
            port,
            appendOnly: true,
            args: [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              path.join(nodeDir, 'nodes.conf'),
              '--cluster-node-timeout',
              String(options.nodeTimeoutMs ?? 1000),
              '--appendfsync',
              'everysec',
            ],
          }),
        );
      }
      const addresses = cluster.nodes.map((node) => `127.0.0.1:${node.port}`);
      await run(
        'redis-cli',
        ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'],
        {
          timeout: readyTimeoutMs,
        },
      );
      await cluster.waitUntil('every node sees cluster_state:ok and all replicas', async () => {
        for (const node of cluster.nodes) {
          if (!(await nodeCommand(node.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) return false;
        }
        const replicas = (await cluster.describe()).filter((n) => n.role === 'replica');
        if (replicas.length !== masters) return false;
        // A replica that never synced refuses to take over (its data counts as too old).
        for (const replica of replicas) {
          const info = await nodeCommand(replica.port, ['INFO', 'replication']);
          if (!info.includes('master_link_status:up')) return false;
        }
        return true;
      });
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** The nodes in a REDIS_URL: `redis://127.0.0.1:a,127.0.0.1:b,…`. */
  get url(): string {
    return `redis://${this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`;
  }

  /** The nodes, roles and slots, as a live node sees them. */
  async describe(): Promise<ClusterNodeInfo[]> {
    const alive = this.nodes.find((node) => node.running);
    if (!alive) throw new Error('no cluster node is running');
    return parseClusterNodes(await nodeCommand(alive.port, ['CLUSTER', 'NODES']));
  }

  /** The servers of the masters serving slots now. */
  async masters(): Promise<RedisServer[]> {
    const ports = new Set(
      (await this.describe())
        .filter((n) => n.role === 'master' && !n.failed && n.slots > 0)
        .map((n) => n.port),
    );
    return this.nodes.filter((node) => node.running && ports.has(node.port));
  }

  /** The port of the master serving `key`'s slot now. */
  async masterPortOf(key: string): Promise<number> {
    const alive = this.nodes.find((node) => node.running);
    if (!alive) throw new Error('no cluster node is running');
    const slot = Number(await nodeCommand(alive.port, ['CLUSTER', 'KEYSLOT', key]));
    const master = (await this.describe()).find(
      (n) =>
        n.role === 'master' && !n.failed && n.slotRanges.some(([from, to]) => slot >= from && slot <= to),
    );
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return master.port;
  }

  /**
   * kill -9 of one master (default: the first), then waits until its replica has taken its slots
   * and the survivors say cluster_state:ok. Resolves the killed and the promoted node's ports.
   */
  async killMaster(port?: number): Promise<{ killed: number; promoted: number }> {
    const infos = await this.describe();
    const victim = infos.find(
      (n) => n.role === 'master' && n.slots > 0 && (port === undefined || n.port === port),
    );
    if (!victim) throw new Error(`no master${port === undefined ? '' : ` on port ${port}`}`);
    const replica = infos.find((n) => n.role === 'replica' && n.masterId === victim.id);
    if (!replica) throw new Error(`master ${victim.port} has no replica`);
    const server = this.nodes.find((node) => node.port === victim.port);
    const pid = server?.pid;
    if (pid === undefined) throw new Error(`master ${victim.port} is not running`);
    process.kill(pid, 'SIGKILL');
    await this.waitUntil(
      `replica ${replica.port} promoted after master ${victim.port} was killed`,
      async () => {
        if (server?.running) return false;
        const now = await this.describe();
        const promoted = now.find((n) => n.id === replica.id);
        if (promoted?.role !== 'master' || promoted.slots === 0) return false;
        for (const node of this.nodes.filter((n) => n.running)) {
          if (!(await nodeCommand(node.port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) return false;
        }
        return true;
      },
    );
    return { killed: victim.port, promoted: replica.port };
  }

  /** Stops every node (SIGTERM, then SIGKILL) and removes their dirs; safe to call twice. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop().catch(() => undefined)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let last: unknown;
    for (;;) {
      try {
        if (await check()) return;
      } catch (err) {
        last = err; // a node mid-failover may refuse a connection
      }
      if (Date.now() > deadline) {
        throw new Error(
          `cluster: timed out waiting until ${what}${last ? ` (${(last as Error).message})` : ''}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** One command to one node over its own short-lived connection (never redirected). */
export async function nodeCommand(port: number, args: string[]): Promise<string> {
  const client = createClient({
    url: `redis://127.0.0.1:${port}`,
    socket: { connectTimeout: 1000, reconnectStrategy: false },
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return String(await client.sendCommand(args));
  } finally {
    client.destroy();
  }
}

export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot> <slot> …
      const [id = '', address = '', flags = '', master = '-', , , , , ...ranges] = line.split(' ');
      // A slot mid-migration is listed as `[slot->-id]`: not served here yet.
      const slotRanges = ranges
        .filter((range) => !range.startsWith('['))
        .map((range): [number, number] => {
          const [from, to = from] = range.split('-').map(Number);
          return [Number(from), Number(to)];
        });
      const slots = slotRanges.reduce((sum, [from, to]) => sum + (to - from + 1), 0);
      return {
        id,
        port: Number(address.split('@')[0]?.split(':')[1]),
        role: flags.includes('master') ? ('master' as const) : ('replica' as const),
        masterId: master === '-' ? undefined : master,
        failed: flags.includes('fail'),
        slots,
        slotRanges,
      };
    });
}

/** `count` ports whose bus ports (+10000) are free too, on 127.0.0.1. */
async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count && attempt < 500; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (ports.includes(port) || ports.includes(port + BUS_OFFSET) || ports.includes(port - BUS_OFFSET))
      continue;
    if ((await isFree(port)) && (await isFree(port + BUS_OFFSET))) ports.push(port);
  }
  if (ports.length < count) throw new Error('cluster: no free loopback ports');
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
