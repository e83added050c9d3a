import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { StoredToken, TokenStore } from '../store/token-store';
import { WeChatTransportError } from './errors';
import type { AccessTokenResult } from './wechat-client';

export interface TokenManagerOptions {
  store: Pick<TokenStore, 'read' | 'write' | 'dropIfCurrent' | 'lock' | 'unlock' | 'markForceRefresh'>;
  fetchToken: (forceRefresh: boolean) => Promise<AccessTokenResult>; // WeChatClient.stableToken
  logger: Logger;
  now?: () => number;
  refreshAheadMs?: number; // refresh this long before expiry, default 4 min (stable_token rotates at 5)
  lockTtlMs?: number; // how long a refresher may hold the lock, default 10 s
  pollMs?: number; // how often waiters look for the holder's result, default 25 ms
  onFetch?: (forceRefresh: boolean) => void; // metrics hook
}

const FORCE_REFRESH_SPACING_SECONDS = 30; // WeChat refuses force_refresh more often

/**
 * One access_token for every instance (docs/architecture.md#one-access-token): kept in Redis with
 * its expiry, fetched with stable_token by whoever takes the refresh lock, while every other caller
 * — in this process (one shared promise) or in another (polling Redis) — waits for that one fetch.
 */
export class TokenManager {
  private cached: StoredToken | undefined;
  private inflight: Promise<string> | undefined;
  private readonly now: () => number;
  private readonly refreshAheadMs: number;
  private readonly lockTtlMs: number;

  constructor(private readonly options: TokenManagerOptions) {
    this.now = options.now ?? Date.now;
    this.refreshAheadMs = options.refreshAheadMs ?? 4 * 60_000;
    this.lockTtlMs = options.lockTtlMs ?? 10_000;
  }

  async get(): Promise<string> {
    if (this.cached && this.cached.expiresAt > this.now()) return this.cached.token;
    this.inflight ??= this.load(false).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /**
   * An API said `token` is stale/invalid. Drop it everywhere if it is still the current one;
   * if stable_token then hands back the very same token, it is confirmed bad and we force a new one.
   */
  async invalidate(token: string): Promise<void> {
    if (this.cached?.token === token) this.cached = undefined;
    await this.options.store.dropIfCurrent(token);
    this.badToken = token;
  }

  private badToken: string | undefined;

  private async load(force: boolean): Promise<string> {
    const { store } = this.options;
    const deadline = this.now() + this.lockTtlMs * 3;
    const owner = randomUUID();
    while (this.now() < deadline) {
      const current = await this.readShared();
      if (current) return current;
      if (await store.lock(owner, this.lockTtlMs)) {
        try {
          // Someone may have stored a token between our read and our lock.
          return (await this.readShared()) ?? (await this.fetchAndStore(force));
        } finally {
          await store.unlock(owner);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 25));
    }
    throw new WeChatTransportError('timed out waiting for the access_token refresh', 'stable_token');
  }

  private async readShared(): Promise<string | undefined> {
    const stored = await this.options.store.read();
    if (!stored || stored.expiresAt <= this.now() || stored.token === this.badToken) return undefined;
    this.cached = stored;
    return stored.token;
  }

  private async fetchAndStore(force: boolean): Promise<string> {
    const { store, logger } = this.options;
    let result = await this.fetch(force);
    if (result.accessToken === this.badToken && !force && (await this.mayForce())) {
      logger.warn('stable_token returned the token WeChat just rejected: forcing a refresh');
      result = await this.fetch(true);
    }
    // Refresh ahead of expiry; a token shorter-lived than that is still never kept past its end.
    const lifetimeMs = result.expiresIn * 1000;
    const ttlMs = Math.floor(Math.max(lifetimeMs - this.refreshAheadMs, Math.min(30_000, lifetimeMs / 2)));
    const stored: StoredToken = { token: result.accessToken, expiresAt: this.now() + ttlMs };
    await store.write(stored, ttlMs);
    this.cached = stored;
    this.badToken = undefined;
    return stored.token;
  }

  private async fetch(force: boolean): Promise<AccessTokenResult> {
    this.options.onFetch?.(force);
    this.options.logger.info({ forceRefresh: force }, 'fetching access_token (stable_token)');
    return this.options.fetchToken(force);
  }

  /** At most one force_refresh per 30 s across all instances. */
  private async mayForce(): Promise<boolean> {
    return this.options.store.markForceRefresh(FORCE_REFRESH_SPACING_SECONDS);
  }
}
