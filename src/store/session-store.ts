import type { Keys } from './keys';
import type { Redis } from './redis';

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
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * Keeps the session for `ttlSeconds`, indexes it, and records the login on the user's profile,
   * in one MULTI. A login also lifts the tombstone of an earlier erasure: a person who comes back
   * is a user again, whose subscription pushes count.
   */
  async create(token: string, session: NewSession, at: number, ttlSeconds: number): Promise<void> {
    const { openid, sessionKey, unionid } = session;
    const k = this.keys;
    const iso = new Date(at).toISOString();
    const expiresAt = at + ttlSeconds * 1000;
    await this.redis
      .multi()
      .hSet(k.session(token), { openid, sessionKey, createdAt: String(at), expiresAt: String(expiresAt) })
      .expire(k.session(token), ttlSeconds)
      .zRemRangeByScore(k.userSessions(openid), '-inf', at)
      .zAdd(k.userSessions(openid), { score: expiresAt, value: token })
      .expire(k.userSessions(openid), ttlSeconds) // this session is the newest: it expires last
      .hSetNX(k.user(openid), 'createdAt', iso)
      .hSet(k.user(openid), { openid, lastLoginAt: iso, ...(unionid ? { unionid } : {}) })
      .del(k.erasedUser(openid))
      .exec();
  }

  /** The openid of a live session, or null when the token is unknown or its session expired. */
  async openidOf(token: string): Promise<string | null> {
    const [openid, expiresAt] = await this.redis.hmGet(this.keys.session(token), ['openid', 'expiresAt']);
    if (!openid) return null;
    // A session from before the per-user index (no expiresAt) joins it on its first use, so that
    // erasing the user ends it too. Once per such session.
    if (!expiresAt) await this.indexLegacy(token, openid);
    return openid;
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
    const multi = this.redis.multi();
    for (const { value } of tokens) multi.hGet(this.keys.session(value), 'createdAt');
    const created = (await multi.execAsPipeline()) as unknown as (string | null)[];
    return tokens.flatMap(({ score }, i) => {
      const at = created[i];
      // No hash: the session ended (expired a moment ago, or erased); the index learns at next login.
      return at === null || at === undefined ? [] : [{ createdAt: Number(at) || null, expiresAt: score }];
    });
  }

  /**
   * Ends every session of the user and deletes their profile in one MULTI; resolves how many
   * sessions there were. A login racing it keeps its new session (it is not in the list read).
   */
  async eraseUser(openid: string): Promise<number> {
    const k = this.keys;
    const tokens = await this.redis.zRange(k.userSessions(openid), 0, -1);
    const multi = this.redis.multi();
    if (tokens.length > 0) {
      multi.del(tokens.map((token) => k.session(token)));
      multi.zRem(k.userSessions(openid), tokens);
    }
    multi.del(k.user(openid));
    const replies = (await multi.exec()) as unknown as number[];
    return tokens.length > 0 ? Number(replies[0] ?? 0) : 0;
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
    const [ttlMs, indexTtlMs] = (await this.redis
      .multi()
      .pTTL(k.session(token))
      .pTTL(index)
      .exec()) as unknown as number[];
    if (ttlMs === undefined || ttlMs <= 0) return; // expired meanwhile (a session always has a TTL)
    // Redis's own clock, as the TTLs: the index must outlive every session it lists.
    const now = Date.now();
    const expiresAt = now + ttlMs;
    const indexUntil = Math.max(expiresAt, indexTtlMs !== undefined && indexTtlMs > 0 ? now + indexTtlMs : 0);
    await this.redis
      .multi()
      .zAdd(index, { score: expiresAt, value: token })
      .pExpireAt(index, indexUntil)
      .hSet(k.session(token), 'expiresAt', String(expiresAt))
      .exec();
  }
}
