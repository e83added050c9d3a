import type { Keys } from './keys';
import { scripts } from './lua-script';
import type { Redis } from './redis';

/** The access_token as every instance shares it in `wx:access_token`. */
export interface StoredToken {
  token: string;
  expiresAt: number; // epoch ms at which we stop using it
}

/**
 * The shared access_token, the lock of whoever refreshes it, and the spacing of force_refresh
 * (`wx:access_token`, `…:lock`, `…:force`).
 */
export class TokenStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The stored token, or undefined when there is none or it does not parse. */
  async read(): Promise<StoredToken | undefined> {
    return parse(await this.redis.get(this.keys.accessToken()));
  }

  /** Stores the token for `ttlMs`. */
  async write(stored: StoredToken, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.accessToken(), JSON.stringify(stored), { PX: ttlMs });
  }

  /** Drops `token` if it is still the stored one (another instance may already have replaced it). */
  async dropIfCurrent(token: string): Promise<void> {
    const raw = await this.redis.get(this.keys.accessToken());
    if (raw && parse(raw)?.token === token) {
      await scripts.compareAndDelete.run(this.redis, [this.keys.accessToken()], [raw]);
    }
  }

  /** Takes the refresh lock for `ttlMs`; false when another caller holds it. */
  async lock(owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.accessTokenLock(), owner, { NX: true, PX: ttlMs })) === 'OK';
  }

  /** Gives the refresh lock back, if `owner` still holds it. */
  async unlock(owner: string): Promise<void> {
    await scripts.compareAndDelete.run(this.redis, [this.keys.accessTokenLock()], [owner]);
  }

  /** Records a force_refresh; false when one happened within the last `spacingSeconds`. */
  async markForceRefresh(spacingSeconds: number): Promise<boolean> {
    return (
      (await this.redis.set(this.keys.accessTokenForce(), '1', { NX: true, EX: spacingSeconds })) === 'OK'
    );
  }
}

function parse(value: string | null): StoredToken | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as StoredToken;
    return typeof parsed.token === 'string' && typeof parsed.expiresAt === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
