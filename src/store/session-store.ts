import type { Keys } from './keys';
import type { Redis } from './redis';

/** What code2Session gave for one login. `sessionKey` never leaves the server. */
export interface NewSession {
  openid: string;
  sessionKey: string;
  unionid?: string;
}

/**
 * Login sessions (`session:<token>`, a hash with the session TTL) and the user profile a login
 * touches (`user:<openid>`).
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Keeps the session for `ttlSeconds` and records the login on the user's profile, in one MULTI. */
  async create(token: string, session: NewSession, at: number, ttlSeconds: number): Promise<void> {
    const { openid, sessionKey, unionid } = session;
    const k = this.keys;
    const iso = new Date(at).toISOString();
    await this.redis
      .multi()
      .hSet(k.session(token), { openid, sessionKey, createdAt: String(at) })
      .expire(k.session(token), ttlSeconds)
      .hSetNX(k.user(openid), 'createdAt', iso)
      .hSet(k.user(openid), { openid, lastLoginAt: iso, ...(unionid ? { unionid } : {}) })
      .exec();
  }

  /** The openid of a live session, or null when the token is unknown or its session expired. */
  async openidOf(token: string): Promise<string | null> {
    return (await this.redis.hGet(this.keys.session(token), 'openid')) ?? null;
  }
}
