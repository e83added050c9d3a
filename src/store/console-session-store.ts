import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const approveConsoleLogin = new LuaScript('approve-console-login');
const takeConsoleLogin = new LuaScript('take-console-login');

export type ConsoleKind = 'operator' | 'publisher';

/** One web console session as stored: the cookie's token is only in its key, as a digest. */
export interface StoredConsoleSession {
  kind: ConsoleKind;
  openid: string | null; // the publisher's; null for an operator
  csrf: string; // the token every write must carry in X-CSRF-Token
  createdAt: number; // ms
  expiresAt: number; // ms, by the service's clock
}

export type TakeOutcome =
  | { outcome: 'missing' }
  | { outcome: 'other' }
  | { outcome: 'pending' }
  | { outcome: 'approved'; openid: string };

/**
 * Web console state in Redis (README.md#redis-keys): QR sign-ins in progress
 * (`console:login:<digest>`), sessions (`console:session:<digest>`), a publisher's index of their
 * sessions (`user:<openid>:console-sessions`) and the sign-in rate per client. Every key that
 * stands for a secret is named by its SHA-256, never by the secret. Each step writes one key at a
 * time (the index before the session it lists), so nothing here spans two cluster slots.
 */
export class ConsoleSessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** A new pending sign-in that lives `ttlMs`. */
  async createLogin(nonceDigest: string, pollerDigest: string, at: number, ttlMs: number): Promise<void> {
    const key = this.keys.consoleLogin(nonceDigest);
    await this.redis
      .multi()
      .hSet(key, { status: 'pending', poller: pollerDigest, createdAt: String(at) })
      .pExpire(key, ttlMs)
      .exec();
  }

  /**
   * Approves a pending sign-in as `openid` (approve-console-login.lua); one started before
   * `validSince` (ms) has expired.
   */
  async approveLogin(
    nonceDigest: string,
    openid: string,
    at: number,
    validSince: number,
  ): Promise<'ok' | 'taken' | 'missing'> {
    return approveConsoleLogin.run(
      this.redis,
      [this.keys.consoleLogin(nonceDigest)],
      [openid, at, validSince],
    );
  }

  /** The sign-in's state for its poller; an approved one is handed over once (take-console-login.lua). */
  async takeLogin(nonceDigest: string, pollerDigest: string, validSince: number): Promise<TakeOutcome> {
    const [outcome, openid] = await takeConsoleLogin.run<[string, string?]>(
      this.redis,
      [this.keys.consoleLogin(nonceDigest)],
      [pollerDigest, validSince],
    );
    if (outcome === 'approved' && openid) return { outcome, openid };
    if (outcome === 'pending' || outcome === 'other') return { outcome };
    return { outcome: 'missing' };
  }

  /** Keeps a session for `ttlSeconds` (Redis's clock); a publisher's is indexed first, for erasure. */
  async createSession(tokenDigest: string, session: StoredConsoleSession, ttlSeconds: number): Promise<void> {
    const k = this.keys;
    if (session.openid) {
      const index = k.userConsoleSessions(session.openid);
      await this.redis
        .multi()
        .zRemRangeByScore(index, '-inf', session.createdAt)
        .zAdd(index, { score: session.expiresAt, value: tokenDigest })
        .expire(index, ttlSeconds)
        .exec();
    }
    const key = k.consoleSession(tokenDigest);
    await this.redis
      .multi()
      .hSet(key, {
        kind: session.kind,
        ...(session.openid ? { openid: session.openid } : {}),
        csrf: session.csrf,
        createdAt: String(session.createdAt),
        expiresAt: String(session.expiresAt),
      })
      .expire(key, ttlSeconds)
      .exec();
  }

  /** The session behind a token digest, or null. */
  async session(tokenDigest: string): Promise<StoredConsoleSession | null> {
    const hash = await this.redis.hGetAll(this.keys.consoleSession(tokenDigest));
    if (hash.kind !== 'operator' && hash.kind !== 'publisher') return null;
    return {
      kind: hash.kind,
      openid: hash.openid ?? null,
      csrf: hash.csrf ?? '',
      createdAt: Number(hash.createdAt),
      expiresAt: Number(hash.expiresAt),
    };
  }

  /** Ends one session (sign-out, or found expired). */
  async deleteSession(tokenDigest: string, openid: string | null): Promise<void> {
    await this.redis.del(this.keys.consoleSession(tokenDigest));
    if (openid) await this.redis.zRem(this.keys.userConsoleSessions(openid), tokenDigest);
  }

  /** A publisher's live sessions (expiry ms, soonest first): their data export. */
  async sessionsOf(openid: string, now: number): Promise<{ createdAt: number; expiresAt: number }[]> {
    const digests = await this.redis.zRange(this.keys.userConsoleSessions(openid), `(${now}`, '+inf', {
      BY: 'SCORE',
    });
    const sessions = await Promise.all(digests.map((d) => this.session(d)));
    return sessions.flatMap((s) => (s ? [{ createdAt: s.createdAt, expiresAt: s.expiresAt }] : []));
  }

  /** Ends every console session of a publisher; resolves how many there were. */
  async eraseUser(openid: string): Promise<number> {
    const index = this.keys.userConsoleSessions(openid);
    const digests = await this.redis.zRange(index, 0, -1);
    let ended = 0;
    for (const digest of digests) ended += await this.redis.del(this.keys.consoleSession(digest));
    await this.redis.del(index);
    return ended;
  }

  /** Counts one sign-in start from `clientDigest` in its minute: the count and ms until it resets. */
  async countStart(clientDigest: string): Promise<{ count: number; resetMs: number }> {
    const key = this.keys.consoleLoginRate(clientDigest);
    const [count, , ttl] = (await this.redis
      .multi()
      .incr(key)
      .pExpire(key, 60_000, 'NX')
      .pTTL(key)
      .exec()) as unknown as [number, number, number];
    return { count, resetMs: Math.max(0, ttl) };
  }
}
