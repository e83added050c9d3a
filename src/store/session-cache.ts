import type { Logger } from '../logger';
import { isCluster, type Redis } from './redis';

/** What a live session resolves to, as read from its hash. */
export interface CachedSession {
  openid: string;
  expiresAt: number; // ms, on the clock the login used
}

export interface SessionCacheOptions {
  redis: Redis; // the shared client; the cache opens a duplicate of its own
  logger: Logger;
  now: () => number; // the clock sessions' expiresAt is written with
  name: string; // the connection's CLIENT SETNAME, so that an operator can tell it in CLIENT LIST
  maxEntries?: number; // default 50,000
}

type Tracked = Redis & { isReady: boolean };

/**
 * The sessions this instance has looked up, kept true by Redis itself. The lookups go over a
 * connection of their own (RESP3, `CLIENT TRACKING ON`, sent by node-redis on every connect), so
 * Redis pushes an invalidation to it for every change to a session key it has read — deleted by
 * DELETE /api/me on any instance, expired, or changed by hand — in the same event loop turn as the
 * change, before the one who made it has its answer. A request then pays no round trip for its
 * session. Whenever that connection is not ready nothing is trusted: the cache is emptied (Redis
 * forgets what a dead connection tracked) and lookups go to the shared client as before.
 *
 * Off on a Redis Cluster: a session key lives on one of several masters, and node-redis' cluster
 * client neither tracks on each node's connection nor passes their invalidations on, so a session
 * ended elsewhere would stay trusted here. Every lookup there reads Redis.
 */
export class SessionCache {
  private client: Tracked | undefined;
  private readonly entries = new Map<string, CachedSession>(); // session key → session
  private readonly maxEntries: number;
  // Bumped by every invalidation: a read whose reply came in the same chunk as an invalidation
  // resumes only after it was applied, so it must not store what it read.
  private epoch = 0;
  hits = 0; // lookups answered from memory
  reads = 0; // lookups read over the tracked connection

  constructor(private readonly options: SessionCacheOptions) {
    this.maxEntries = options.maxEntries ?? 50_000;
  }

  async start(): Promise<void> {
    if (this.client) return;
    if (isCluster(this.options.redis)) {
      this.options.logger.info('session cache off on a Redis Cluster: each request reads its session');
      return;
    }
    const client = this.options.redis.duplicate({
      RESP: 3,
      emitInvalidate: true,
      name: this.options.name,
    }) as unknown as Tracked;
    const forget = () => {
      this.epoch += 1;
      this.entries.clear();
    };
    client.on('error', forget); // the main client already reports connection loss
    client.on('end', forget);
    client.on('ready', forget); // a new connection tracks nothing read on the old one
    client.on('invalidate', (key: Buffer | string | null) => {
      this.epoch += 1;
      if (key === null) forget();
      else this.entries.delete(typeof key === 'string' ? key : key.toString());
    });
    this.client = client;
    try {
      await client.connect();
    } catch (err) {
      // Not fatal: lookups use the shared client until this connection comes up by itself.
      this.options.logger.warn({ err: (err as Error).message }, 'session cache connection failed');
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.entries.clear();
    if (client?.isOpen) await client.close().catch(() => client.destroy());
  }

  /**
   * The session at `key` from memory, or read (and remembered) over the tracked connection; null
   * when this cache cannot answer (not started, or its connection is down): the caller reads it.
   * `{ openid: null }` when there is no such session.
   */
  async lookup(key: string): Promise<{ openid: string | null; expiresAt: string | null } | null> {
    const client = this.client;
    if (!client?.isReady) return null;
    const hit = this.entries.get(key);
    if (hit) {
      // Redis expires keys lazily or in a background cycle: the session's own end decides here.
      if (hit.expiresAt > this.options.now()) {
        this.hits += 1;
        return { openid: hit.openid, expiresAt: String(hit.expiresAt) };
      }
      this.entries.delete(key);
    }
    const epoch = this.epoch;
    this.reads += 1;
    const [openid = null, expiresAt = null] = await client.hmGet(key, ['openid', 'expiresAt']);
    // Remembered only if nothing was invalidated meanwhile and the connection that read it (and
    // tracks it) is still this one, ready.
    if (openid && expiresAt && epoch === this.epoch && this.client === client && client.isReady) {
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      this.entries.set(key, { openid, expiresAt: Number(expiresAt) });
    }
    return { openid, expiresAt };
  }

  /** How many sessions are remembered (tests). */
  get size(): number {
    return this.entries.size;
  }
}
