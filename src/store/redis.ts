import {
  createClient,
  createCluster,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  RootNodesUnavailableError,
  SocketClosedUnexpectedlyError,
  TimeoutError,
  type RedisArgument,
  type RedisClientOptions,
} from 'redis';
import {
  redisLoading,
  redisOutOfMemory,
  redisReadOnly,
  redisUnavailable,
  type ServiceUnavailableError,
} from '../errors';
import type { Logger } from '../logger';
import { parseRedisUrl } from './redis-url';
import { noteCommand, type Connection } from './replication';
import { commandAudit, commandKeys, slotAuditFile } from './slot-audit';

type ClientBase = ReturnType<typeof createRedisClient>;
type ClusterBase = ReturnType<typeof createRedisCluster>;

/**
 * SCAN as our code uses it, one signature for both clients (node-redis binds the single client's
 * to `this`, which a union cannot call). A cluster's scans every master (connectRedis adds it).
 */
interface Scanning {
  scanIterator(options?: Parameters<ClientBase['scanIterator']>[0]): ReturnType<ClientBase['scanIterator']>;
}

/** One Redis: the single-node client (its duplicates are too). */
export type RedisClient = Omit<ClientBase, 'duplicate' | 'scanIterator'> &
  Scanning & { duplicate(overrides?: ConnectionOverrides): RedisClient };

/**
 * A Redis Cluster client, with SCAN over every master and a single client's `sendCommand`
 * (routed by the command's first key; its duplicates too).
 */
export type RedisClusterClient = Omit<ClusterBase, 'duplicate' | 'sendCommand'> &
  Scanning &
  Pick<ClientBase, 'sendCommand'> & { duplicate(overrides?: ConnectionOverrides): RedisClusterClient };

/**
 * What a duplicate may change about its connection(s): the protocol, a name, invalidation
 * pushes (client-side caching). On a cluster they apply to every node connection.
 */
export type ConnectionOverrides = Partial<Pick<RedisClientOptions, 'RESP' | 'name' | 'emitInvalidate'>>;

/**
 * What the code talks to: one Redis or a cluster. Both answer the same commands, scripts and
 * MULTI (on a cluster routed by the first key, so one command's keys share a hash tag); what only
 * one of them has (its nodes, pub/sub flavour) goes through the helpers below.
 */
export type Redis = RedisClient | RedisClusterClient;

/** REDIS_COMMAND_TIMEOUT_MS's default, for callers without a config (scripts, drills). */
const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

export interface RedisOptions {
  commandTimeoutMs?: number; // a command unanswered this long fails (RedisCommandTimeoutError), default 2000
  cluster?: boolean; // REDIS_CLUSTER=1: a cluster even when the URL lists one node
}

/** Redis did not answer a command in time: it is stalled (paused, swapping, a long script) or the network is. */
export class RedisCommandTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    // The command's name only: its arguments hold session tokens and user data.
    super(`Redis did not answer ${command} within ${timeoutMs} ms`);
    this.name = 'RedisCommandTimeoutError';
  }
}

const SOCKET = {
  connectTimeout: 2000,
  reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
};

function createRedisClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    // Off: node-redis's own timeout only covers a command not yet written (withReplyDeadline covers
    // that too), and the AbortSignal.timeout it arms per command costs ~10 µs of CPU, 3-4x a GET.
    commandOptions: { timeout: 0 },
    socket: SOCKET,
  });
}

// Every node connection as our single client's: no offline queue, reconnect forever.
const CLUSTER_NODE_DEFAULTS = { disableOfflineQueue: true, socket: SOCKET };

function createRedisCluster(nodes: string[]) {
  return createCluster({
    rootNodes: nodes.map((url) => ({ url })),
    defaults: CLUSTER_NODE_DEFAULTS,
    commandOptions: { timeout: 0 },
  });
}

/** True when `redis` is a cluster client. */
export function isCluster(redis: Redis): redis is RedisClusterClient {
  return 'masters' in redis;
}

/**
 * Creates and connects a client: a cluster client when the URL lists several nodes (or
 * `options.cluster`), else a single one. Commands fail at once while the connection is down (no
 * offline queue), and after `commandTimeoutMs` when Redis does not answer, so callers answer 503
 * instead of hanging; the client reconnects by itself forever.
 */
export async function connectRedis(
  url: string,
  logger: Logger,
  name = 'redis',
  options: RedisOptions = {},
): Promise<Redis> {
  const target = parseRedisUrl(url, options.cluster);
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  let down = false;
  const lost = (err: Error) => {
    if (!down) logger.warn({ client: name, err: err.message }, 'redis connection lost; reconnecting');
    down = true;
  };
  const restored = () => {
    if (down) logger.info({ client: name }, 'redis connection restored');
    down = false;
  };
  if (target.cluster) {
    const cluster = withClusterDeadline(createRedisCluster(target.nodes), timeoutMs);
    cluster.on('node-error', lost);
    // A node's connection error is the cluster's, as a single client's is its own (metrics count
    // 'error'); emitted only when heard, since an unheard 'error' event throws.
    cluster.on('node-error', (err: Error) => {
      if (cluster.listenerCount('error') > 0) cluster.emit('error', err);
    });
    cluster.on('node-ready', restored);
    await cluster.connect();
    return cluster;
  }
  const client = withReplyDeadline(createRedisClient(target.nodes[0] ?? url), timeoutMs);
  client.on('error', lost);
  client.on('ready', restored);
  await client.connect();
  return client;
}

/**
 * Fails every command Redis has not answered within `timeoutMs`. node-redis 6 has no such option:
 * its `commandOptions.timeout` is dropped once the command is written to the socket
 * (redis/node-redis#3008), and a stalled server (SIGSTOP, a frozen VM) keeps the socket open and
 * answers nothing, so a request would wait forever. The command queue is the one funnel of single
 * commands, scripts, MULTI, pipelines and the connection handshake. The command itself stays
 * queued: its late reply arrives in order and is dropped, so a write answered 503 may still be
 * applied when Redis resumes (clients retry creates with an Idempotency-Key).
 */
function withReplyDeadline(base: ClientBase, timeoutMs: number): RedisClient {
  armQueue(base, timeoutMs);
  // The type of a duplicate widens its generics; it is the same kind of client as ours.
  const client = base as unknown as RedisClient;
  // The scheduler's subscriber and reload listeners are duplicates: same deadline.
  const duplicate = base.duplicate.bind(base);
  client.duplicate = (overrides) =>
    withReplyDeadline(duplicate(overrides) as unknown as ClientBase, timeoutMs);
  return client;
}

const armed = new WeakSet<object>();

/**
 * The deadline (and, under the slot audit, the audit) on one connection's command queue, once; and
 * the note of which connection a write went out on (REDIS_WAIT_REPLICAS, ./replication.ts).
 */
function armQueue(client: Pick<ClientBase, '_getQueue'> & Connection, timeoutMs: number): void {
  const queue = client._getQueue();
  if (armed.has(queue)) return;
  armed.add(queue);
  const audit = slotAuditFile() ? commandAudit() : undefined;
  const addCommand = queue.addCommand.bind(queue);
  queue.addCommand = function addCommandWithDeadline<T>(
    args: ReadonlyArray<RedisArgument>,
    options?: Parameters<typeof addCommand>[1],
  ): Promise<T> {
    audit?.(args, options?.chainId);
    noteCommand(client, args);
    const reply = addCommand<T>(args, options);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new RedisCommandTimeoutError(String(args[0]).toUpperCase(), timeoutMs)),
        timeoutMs,
      );
      timer.unref();
      reply.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  };
}

/**
 * The same deadline on a cluster: node-redis opens one connection per node as it discovers them
 * (and new ones after a failover), so each is armed as it connects, before it carries a command.
 * Adds `scanIterator` over every master, and keeps both on duplicates.
 */
function withClusterDeadline(base: ClusterBase, timeoutMs: number): RedisClusterClient {
  base.on('node-connect', () => {
    for (const node of [...base.masters, ...base.replicas]) if (node.client) armQueue(node.client, timeoutMs);
  });
  // The same object, given the members our type promises.
  const cluster = base as unknown as RedisClusterClient;
  cluster.scanIterator = (options) => scanMasters(cluster, options);
  const send = base.sendCommand.bind(base);
  cluster.sendCommand = <T>(args: ReadonlyArray<RedisArgument>, options?: Parameters<typeof send>[3]) =>
    send(commandKeys(args.map(String))[0], false, [...args], options) as Promise<T>;
  const duplicate = base.duplicate.bind(base);
  cluster.duplicate = (overrides = {}) => {
    const { RESP, ...node } = overrides;
    const options = { ...(RESP ? { RESP } : {}), defaults: { ...CLUSTER_NODE_DEFAULTS, ...node } };
    return withClusterDeadline(duplicate(options) as unknown as ClusterBase, timeoutMs);
  };
  return cluster;
}

type ScanBatches = ReturnType<ClientBase['scanIterator']>;

/** SCAN of a cluster: every master's keys in turn (a replica holds copies of its master's). */
function scanMasters(
  cluster: RedisClusterClient,
  options: Parameters<Scanning['scanIterator']>[0],
): ScanBatches {
  async function* batches() {
    for (const node of await nodeClients(cluster)) yield* node.scanIterator(options);
  }
  return batches() as ScanBatches;
}

/**
 * One connected client per node that holds data: the client itself, or each master of a
 * cluster (INFO, health, SCAN are per node there).
 */
export async function nodeClients(redis: Redis): Promise<RedisClient[]> {
  if (!isCluster(redis)) return [redis];
  const clients = await Promise.all(redis.masters.map((master) => redis.nodeClient(master)));
  // Node connections are single clients; node-redis types them by the cluster's generics.
  return clients as unknown as RedisClient[];
}

/**
 * Subscribes to `channel` on its own connection and resolves a function that ends it. On a
 * cluster it is a sharded channel (SSUBSCRIBE, Redis ≥ 7): served by the one shard that owns it,
 * not broadcast to every node; publish with `publishChannel`, which picks the same flavour.
 * `onReconnect` runs each time a lost connection is back: messages published meanwhile are lost.
 */
export async function subscribeChannel(
  redis: Redis,
  channel: string,
  listener: (message: string) => void,
  onReconnect?: () => void,
): Promise<() => Promise<void>> {
  const subscriber = redis.duplicate();
  subscriber.on('error', () => undefined); // the main client already reports connection loss
  await subscriber.connect();
  // node-redis subscribes again by itself once it is back. A cluster's subscriber gives no such
  // signal: there the callers' periodic full reads alone cover the gap.
  if (onReconnect && !isCluster(subscriber)) subscriber.on('ready', onReconnect);
  try {
    if (isCluster(subscriber)) await subscriber.sSubscribe(channel, listener);
    else await subscriber.subscribe(channel, listener);
  } catch (err) {
    subscriber.destroy();
    throw err;
  }
  return async () => {
    if (subscriber.isOpen) await subscriber.close().catch(() => subscriber.destroy());
  };
}

/** Publishes to a channel of `subscribeChannel`; resolves how many subscribers got it. */
export function publishChannel(redis: Redis, channel: string, message: string): Promise<number> {
  return isCluster(redis) ? redis.sPublish(channel, message) : redis.publish(channel, message);
}

/**
 * Why Redis cannot serve a command right now, or undefined when the error is not one of those:
 * `unreachable` (no connection), `timeout` (no answer in time), `loading` (restarted, reading its
 * AOF/RDB: LOADING), `out_of_memory` (maxmemory reached with noeviction: OOM, writes refused),
 * `read_only` (writes refused: a replica answering READONLY, or MISCONF when it cannot persist).
 */
export type RedisFault = 'unreachable' | 'timeout' | 'loading' | 'out_of_memory' | 'read_only';

export function redisFault(err: unknown): RedisFault | undefined {
  if (err instanceof RedisCommandTimeoutError || err instanceof TimeoutError) return 'timeout';
  if (
    err instanceof ClientClosedError ||
    err instanceof ClientOfflineError ||
    err instanceof ConnectionTimeoutError ||
    err instanceof SocketClosedUnexpectedlyError ||
    err instanceof DisconnectsClientError ||
    err instanceof RootNodesUnavailableError
  ) {
    return 'unreachable';
  }
  if (err instanceof ErrorReply) {
    // An error reply's first word is its code, the only structured part Redis gives it (a
    // script's OOM carries the script's sha after it; MULTI rejects with the queued command's).
    const code = err.message.split(' ', 1)[0];
    if (code === 'LOADING') return 'loading';
    if (code === 'OOM') return 'out_of_memory';
    if (code === 'READONLY' || code === 'MISCONF') return 'read_only';
    // A cluster that lost a master has no owner for its slots until a replica takes over;
    // TRYAGAIN: a multi-key command met its slot mid-migration. Both pass: retry later.
    if (code === 'CLUSTERDOWN' || code === 'TRYAGAIN') return 'unreachable';
    return undefined;
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' ? 'unreachable' : undefined;
}

/** True for the errors that mean "Redis cannot serve this right now" (→ 503, retry later). */
export function isRedisUnavailable(err: unknown): boolean {
  return redisFault(err) !== undefined;
}

/** The client-facing 503 for a Redis fault (the error middleware's one translation), else undefined. */
export function redisUnavailableError(err: unknown): ServiceUnavailableError | undefined {
  switch (redisFault(err)) {
    case undefined:
      return undefined;
    case 'loading':
      return redisLoading({ cause: err });
    case 'out_of_memory':
      return redisOutOfMemory({ cause: err });
    case 'read_only':
      return redisReadOnly({ cause: err });
    default:
      return redisUnavailable({ cause: err });
  }
}

// A script with a shebang and no flags counts as a write for Redis ≥ 7, so Redis refuses it
// exactly as it would refuse our writes (LOADING, OOM), yet it touches no key and leaves nothing
// in the AOF. Redis < 7 cannot compile it: PING is the fallback there (OOM then goes unseen).
const WRITE_PROBE = '#!lua\nreturn 1';

/**
 * Resolves when Redis would take a write now; rejects with the reason it would not. On a cluster,
 * every master is asked (any one refusing writes refuses a share of the users).
 */
export async function probeWritable(redis: Redis): Promise<void> {
  await Promise.all((await nodeClients(redis)).map(probeNode));
}

async function probeNode(node: RedisClient): Promise<void> {
  try {
    await node.eval(WRITE_PROBE, { keys: [], arguments: [] });
  } catch (err) {
    if (!(err instanceof ErrorReply) || !err.message.includes('Error compiling script')) throw err;
    await node.ping();
  }
}

/** Closes a client we created; tolerates one that is already closed or disconnected. */
export async function closeRedis(client: Redis): Promise<void> {
  if (!client.isOpen) return;
  try {
    await client.close();
  } catch {
    client.destroy();
  }
}
