import type { Keys } from './keys';
import type { Redis } from './redis';
import type { SessionCache } from './session-cache';

/** What code2Session gave for one login. `sessionKey` never leaves the server. */
export interface NewSession {
  openid: string;
  sessionKey: string;
  unionid?: string;
}

/** A user's profile as a login records it (`user:<openid>`). */
export interface UserProfile {
  openid: string;
  unionid?: string;
  createdAt?: string; // ISO time of the first login
  lastLoginAt?: string;
}

/** One live session as a person's data export shows it: never its token, never its session_key. */
export interface SessionSummary {
  createdAt: number | null; // ms; null for a session older than the field
  expiresAt: number; // ms
}

/**
 * Login sessions (`session:<token>`, a hash with the session TTL), the user's index of them
 * (`user:<openid>:sessions`, tokens scored by expiry) and the user profile a login touches
 * (`user:<openid>`). The index lets DELETE /api/me end every session of a user at once without
 * a SCAN; it is pruned of expired tokens at each login and expires with the newest session.
 * Each step touches one key (these keys have no common hash tag), so it runs on Redis Cluster.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    // Lookups of live sessions from memory, kept true by Redis's invalidations (./session-cache.ts).
    private readonly cache?: Pick<SessionCache, 'lookup'>,
  ) {}

  /**
   * Keeps the session for `ttlSeconds`, indexes it, and records the login on the user's profile.
   * A login also lifts the tombstone of an earlier erasure: a person who comes back is a user
   * again, whose subscription pushes count. The four keys sit in four cluster slots, so these are
   * four steps, each on one key, in an order a crash between any two leaves safe: the index first
   * (erasing the user then finds every session that exists; a listed token without a session is
   * skipped), the session last (a token that works is always indexed).
   */
  async create(token: string, session: NewSession, at: number, ttlSeconds: number): Promise<void> {
    const { openid, sessionKey, unionid } = session;
    const k = this.keys;
    const iso = new Date(at).toISOString();
    const expiresAt = at + ttlSeconds * 1000;
    await this.redis
      .multi()
      .zRemRangeByScore(k.userSessions(openid), '-inf', at)
      .zAdd(k.userSessions(openid), { score: expiresAt, value: token })
      .expire(k.userSessions(openid), ttlSeconds) // this session is the newest: it expires last
      .exec();
    await this.redis
      .multi()
      .hSetNX(k.user(openid), 'createdAt', iso)
      .hSet(k.user(openid), { openid, lastLoginAt: iso, ...(unionid ? { unionid } : {}) })
      .exec();
    await this.redis.del(k.erasedUser(openid));
    await this.redis
      .multi()
      .hSet(k.session(token), { openid, sessionKey, createdAt: String(at), expiresAt: String(expiresAt) })
      .expire(k.session(token), ttlSeconds)
      .exec();
  }

  /** The openid of a live session, or null when the token is unknown or its session expired. */
  async openidOf(token: string): Promise<string | null> {
    const key = this.keys.session(token);
    const { openid, expiresAt } = (await this.cache?.lookup(key)) ?? (await this.read(key));
    if (!openid) return null;
    // A session from before the per-user index (no expiresAt) joins it on its first use, so that
    // erasing the user ends it too. Once per such session.
    if (!expiresAt) await this.indexLegacy(token, openid);
    return openid;
  }

  private async read(key: string): Promise<{ openid: string | null; expiresAt: string | null }> {
    const [openid = null, expiresAt = null] = await this.redis.hmGet(key, ['openid', 'expiresAt']);
    return { openid, expiresAt };
  }

  /** The user's profile, or null when they never logged in (or were erased). */
  async profile(openid: string): Promise<UserProfile | null> {
    const hash = await this.redis.hGetAll(this.keys.user(openid));
    if (!hash.openid) return null;
    return {
      openid: hash.openid,
      ...(hash.unionid ? { unionid: hash.unionid } : {}),
      ...(hash.createdAt ? { createdAt: hash.createdAt } : {}),
      ...(hash.lastLoginAt ? { lastLoginAt: hash.lastLoginAt } : {}),
    };
  }

  /** The user's live sessions, soonest to expire first; tokens stay here. */
  async sessionsOf(openid: string, now: number): Promise<SessionSummary[]> {
    const tokens = await this.redis.zRangeWithScores(this.keys.userSessions(openid), `(${now}`, '+inf', {
      BY: 'SCORE',
    });
    if (tokens.length === 0) return [];
    // One command per session: each is in its own cluster slot (a single Redis pipelines them).
    const created = await Promise.all(
      tokens.map(({ value }) => this.redis.hGet(this.keys.session(value), 'createdAt')),
    );
    return tokens.flatMap(({ score }, i) => {
      const at = created[i];
      // No hash: the session ended (expired a moment ago, or erased); the index learns at next login.
      return at === null || at === undefined ? [] : [{ createdAt: Number(at) || null, expiresAt: score }];
    });
  }

  /**
   * Ends every session of the user and deletes their profile; resolves how many sessions there
   * were. Sessions first, then the index, then the profile (each key its own step: they are in
   * different cluster slots), so an erase cut short and run again finds what is left. A login
   * racing it keeps its new session (it is not in the list read).
   */
  async eraseUser(openid: string): Promise<number> {
    const k = this.keys;
    const tokens = await this.redis.zRange(k.userSessions(openid), 0, -1);
    const ended = await Promise.all(tokens.map((token) => this.redis.del(k.session(token))));
    if (tokens.length > 0) await this.redis.zRem(k.userSessions(openid), tokens);
    await this.redis.del(k.user(openid));
    return ended.reduce((sum, n) => sum + Number(n), 0);
  }

  /**
   * Leaves a tombstone for an erased user (it does not name them: Keys.erasedUser), so that
   * pushes about them are dropped until they log in again.
   */
  async markErased(openid: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.erasedUser(openid), '1', { EX: ttlSeconds });
  }

  /** Whether the user erased their data and has not logged in since. */
  async isErased(openid: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.erasedUser(openid))) === 1;
  }

  private async indexLegacy(token: string, openid: string): Promise<void> {
    const k = this.keys;
    const index = k.userSessions(openid);
    const [ttlMs, indexTtlMs] = await Promise.all([
      this.redis.pTTL(k.session(token)),
      this.redis.pTTL(index),
    ]);
    if (ttlMs === undefined || ttlMs <= 0) return; // expired meanwhile (a session always has a TTL)
    // Redis's own clock, as the TTLs: the index must outlive every session it lists.
    const now = Date.now();
    const expiresAt = now + ttlMs;
    const indexUntil = Math.max(expiresAt, indexTtlMs !== undefined && indexTtlMs > 0 ? now + indexTtlMs : 0);
    // The index before the session's mark (two slots): a crash between them re-indexes at next use.
    await this.redis
      .multi()
      .zAdd(index, { score: expiresAt, value: token })
      .pExpireAt(index, indexUntil)
      .exec();
    await this.redis.hSet(k.session(token), 'expiresAt', String(expiresAt));
  }
}
