import { AsyncLocalStorage } from 'node:async_hooks';
import type { RedisArgument } from 'redis';
import { writeNotReplicated } from '../errors';
import type { Logger } from '../logger';

/**
 * REDIS_WAIT_REPLICAS: a write is acknowledged (an HTTP 2xx, a delivery outcome taken as recorded)
 * only once `WAIT <replicas> <timeoutMs>` on the connection that made it says that many replicas
 * have it. Redis's WAIT speaks for the writes of the connection it is sent on (its replication
 * offset after that connection's last write), so the connections are noted as the writes are
 * queued (src/store/redis.ts calls noteCommand for every command of every connection, cluster
 * node connections included), and each is asked in turn. Not a consensus: a replica that
 * acknowledged can still lose the write if it dies too (README.md#running-on-redis-cluster).
 */
export interface ReplicationOptions {
  replicas: number; // REDIS_WAIT_REPLICAS, replicas that must have a write, default 0 (no WAIT)
  timeoutMs: number; // REDIS_WAIT_TIMEOUT_MS, how long one WAIT blocks at most, default 500
  reapplyWithinMs?: number; // how long `reapplied` keeps re-applying after a lost connection, default 10 s
  logger?: Pick<Logger, 'warn'>; // told (at most every 10 s) when `reapplied` gives up confirming
}

/**
 * After a WAIT that found too few replicas, how long writes on its connection are taken as short
 * without a WAIT of their own, ms: each WAIT then blocks the connection for the whole timeout,
 * so a master without replicas (after a failover) would serve one batch per timeout.
 */
const SHORT_RECHECK_MS = 1000;

/** How often `reapplied` may warn that writes went unconfirmed, ms. */
const SHORTFALL_WARN_EVERY_MS = 10_000;

/** What WAIT said of one connection's writes. */
type Confirmation = 'confirmed' | 'short' | 'lost';

/** One connection as WAIT needs it: node-redis' single client (the client, or a cluster's node). */
export interface Connection {
  sendCommand(args: RedisArgument[]): Promise<unknown>;
  on(event: 'connect', listener: () => void): unknown;
}

/** Commands that change nothing a replica would get; any other command counts as a write. */
const READS = new Set(
  (
    'GET MGET HGET HGETALL HMGET HLEN HEXISTS HKEYS HVALS HSTRLEN HSCAN EXISTS TYPE TTL PTTL EXPIRETIME ' +
    'PEXPIRETIME STRLEN GETRANGE SMEMBERS SISMEMBER SMISMEMBER SCARD SSCAN SRANDMEMBER SINTER SUNION ' +
    'SDIFF ZRANGE ZRANGEBYSCORE ZREVRANGE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZSCORE ZMSCORE ' +
    'ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK ZSCAN ZRANDMEMBER LRANGE LLEN LINDEX LPOS XRANGE XREVRANGE ' +
    'XLEN XINFO XPENDING BITCOUNT GETBIT BITPOS PFCOUNT SCAN KEYS DBSIZE RANDOMKEY OBJECT MEMORY DUMP ' +
    'EVAL_RO EVALSHA_RO FCALL_RO PING ECHO INFO TIME CLIENT CLUSTER COMMAND CONFIG HELLO AUTH SELECT ' +
    'READONLY READWRITE ASKING SCRIPT WAIT WAITAOF PUBLISH SPUBLISH SUBSCRIBE SSUBSCRIBE PSUBSCRIBE ' +
    'UNSUBSCRIBE SUNSUBSCRIBE PUNSUBSCRIBE PUBSUB WATCH UNWATCH MULTI DISCARD ROLE LATENCY SLOWLOG'
  ).split(' '),
);

/** What one connection has seen: its socket's generation (reconnects) and its commands, in order. */
interface ConnectionState {
  generation: number; // +1 on every (re)connect: a WAIT on a new socket cannot speak for the old one
  seq: number; // tracked commands queued on it so far (writes of units of work, and our WAITs)
  waiting?: { after: WaitMark; reply: Promise<number> }; // the WAIT in flight, shared by later writers
  shortUntil: number; // ms: the last WAIT found too few replicas; until then, no new WAIT is sent
}

/** Where a WAIT was queued (set when its command reaches the connection's queue). */
class WaitMark {
  seq = -1; // not queued (yet): never taken as after a write
}

/** The connections one unit of work wrote on: the generation of the first write, the seq of the last. */
export class Writes {
  readonly on = new Map<Connection, { generation: number; lastSeq: number }>();
}

const states = new WeakMap<Connection, ConnectionState>();

const context = new AsyncLocalStorage<Writes | WaitMark>();

function stateOf(connection: Connection): ConnectionState {
  let state = states.get(connection);
  if (!state) {
    const created: ConnectionState = { generation: 0, seq: 0, shortUntil: 0 };
    connection.on('connect', () => {
      created.generation += 1;
      created.waiting = undefined;
    });
    states.set(connection, created);
    state = created;
  }
  return state;
}

/**
 * Called for every command queued on a connection (synchronously, in queue order): inside a unit of
 * work (`Replication.track`), a write notes its connection; our own WAIT notes where it was queued.
 * Outside both, one AsyncLocalStorage lookup and nothing else.
 */
export function noteCommand(connection: Connection, args: ReadonlyArray<RedisArgument>): void {
  const store = context.getStore();
  if (store === undefined) return;
  const name = String(args[0]).toUpperCase();
  if (store instanceof WaitMark) {
    if (name === 'WAIT') store.seq = ++stateOf(connection).seq;
    return;
  }
  if (READS.has(name)) return;
  const state = stateOf(connection);
  const seq = ++state.seq;
  const seen = store.on.get(connection);
  if (seen) seen.lastSeq = seq;
  else store.on.set(connection, { generation: state.generation, lastSeq: seq });
}

export class Replication {
  private warnedAt = Number.NEGATIVE_INFINITY;
  private unconfirmed = 0; // `reapplied` runs given up since the last warning

  constructor(readonly options: ReplicationOptions) {}

  /** True when acknowledged writes wait for replicas (REDIS_WAIT_REPLICAS > 0). */
  get enabled(): boolean {
    return this.options.replicas > 0;
  }

  /**
   * Runs `work`, noting every connection its writes go out on. Writes queued from another async
   * context (a batch gathered across callers) are noted only if the batch itself is tracked.
   */
  async track<T>(work: () => Promise<T>): Promise<{ value: T; writes: Writes }> {
    const writes = new Writes();
    const value = await context.run(writes, work);
    return { value, writes };
  }

  /**
   * Resolves once each connection `writes` went out on has REDIS_WAIT_REPLICAS replicas' copy of
   * them; rejects with WRITE_NOT_REPLICATED (503) when fewer confirm within the timeout, when the
   * connection was lost or replaced since the write (a WAIT on the new one cannot speak for it), or
   * when WAIT itself fails. Nothing to wait for when disabled or nothing was written.
   */
  async confirm(writes: Writes): Promise<void> {
    const [worst, err] = await this.check(writes);
    if (worst !== 'confirmed') throw writeNotReplicated({ cause: err });
  }

  /**
   * For a write whose result was already acted on (a delivery outcome: the message went out), so a
   * 503 would help nobody: runs `work` (tracked), then confirms it. When the connection was lost
   * before WAIT answered (its master died: the write may be gone with it), `work` is run again
   * (after a pause, for up to `reapplyWithinMs`), on whichever master serves it now; it must be a
   * compare-and-set that changes nothing where the first run landed. Replicas merely short of the
   * count (none left after a failover, one lagging) are logged (at most every 10 s) and not waited
   * for: the write is on its master. Resolves the first run's value.
   */
  async reapplied<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (!this.enabled) return work();
    const first = await this.track(work);
    const until = Date.now() + (this.options.reapplyWithinMs ?? 10_000);
    let writes: Writes | undefined = first.writes;
    let reason: unknown;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      let worst: Confirmation = 'lost'; // a re-run that failed (Redis mid-failover) is run again
      if (writes) [worst, reason] = await this.check(writes);
      if (worst === 'confirmed') return first.value;
      if (worst === 'short' || Date.now() + delay > until) {
        this.shortfall(what, reason);
        return first.value;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      writes = await this.track(work).then(
        (run) => run.writes,
        (err: unknown) => {
          reason = err;
          return undefined;
        },
      );
    }
  }

  private shortfall(what: string, reason: unknown): void {
    this.unconfirmed += 1;
    if (Date.now() - this.warnedAt < SHORTFALL_WARN_EVERY_MS) return;
    this.options.logger?.warn(
      { what, unconfirmed: this.unconfirmed, err: (reason as Error | undefined)?.message },
      `writes recorded on the master but not confirmed by ${this.options.replicas} replica(s): a failover now may lose them`,
    );
    this.warnedAt = Date.now();
    this.unconfirmed = 0;
  }

  /** The worst of what WAIT said for each connection, with the reason when not confirmed. */
  private async check(writes: Writes): Promise<[Confirmation, unknown]> {
    if (!this.enabled || writes.on.size === 0) return ['confirmed', undefined];
    const answers = await Promise.all(
      [...writes.on].map(([connection, write]) => this.confirmOn(connection, write)),
    );
    return (
      answers.find(([c]) => c === 'lost') ?? answers.find(([c]) => c === 'short') ?? ['confirmed', undefined]
    );
  }

  private async confirmOn(
    connection: Connection,
    write: { generation: number; lastSeq: number },
  ): Promise<[Confirmation, unknown]> {
    const state = stateOf(connection);
    const { replicas, timeoutMs } = this.options;
    try {
      if (state.generation !== write.generation)
        throw new Error('the connection was replaced since the write');
      // WAIT blocks its connection (Redis serves nothing else of it until it answers), and one WAIT
      // covers every earlier write of its connection: a WAIT queued after our last write is shared
      // rather than a second one queued behind it.
      let waiting = state.waiting;
      if (!waiting || waiting.after.seq <= write.lastSeq) {
        if (Date.now() < state.shortUntil) {
          return ['short', new Error(`fewer than ${replicas} replicas at the last WAIT, under 1 s ago`)];
        }
        const after = new WaitMark();
        const reply = context.run(after, () =>
          connection.sendCommand(['WAIT', String(replicas), String(timeoutMs)]),
        );
        const shared = { after, reply: reply.then(Number) };
        waiting = shared;
        state.waiting = shared;
        const done = () => {
          if (state.waiting === shared) state.waiting = undefined;
        };
        shared.reply.then(done, done);
      }
      const acknowledged = await waiting.reply;
      if (state.generation !== write.generation) throw new Error('the connection was replaced during WAIT');
      state.shortUntil = acknowledged >= replicas ? 0 : Date.now() + SHORT_RECHECK_MS;
      if (acknowledged >= replicas) return ['confirmed', undefined];
      return ['short', new Error(`WAIT: ${acknowledged} of ${replicas} replicas within ${timeoutMs} ms`)];
    } catch (err) {
      return ['lost', err];
    }
  }
}
