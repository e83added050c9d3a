import type { Keys } from './keys';
import { scripts } from './lua-script';
import type { Redis } from './redis';

/**
 * The per-user subscription ledger: `quota:<openid>` maps templateId → one-time grants left.
 * Each accept adds one; each accepted send consumes one.
 */
export class QuotaStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async remaining(openid: string): Promise<Record<string, number>> {
    const hash = await this.redis.hGetAll(this.keys.quota(openid));
    return Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, Math.max(0, Number(v))]));
  }

  async grant(openid: string, templateId: string, count = 1): Promise<number> {
    return this.redis.hIncrBy(this.keys.quota(openid), templateId, count);
  }

  /** Takes one grant; false when none is left (nothing changes then). */
  async take(openid: string, templateId: string): Promise<boolean> {
    return (await scripts.takeGrant.run<number>(this.redis, [this.keys.quota(openid)], [templateId])) >= 0;
  }

  /** Gives back a grant taken for a send WeChat did not accept. */
  async refund(openid: string, templateId: string): Promise<void> {
    await this.redis.hIncrBy(this.keys.quota(openid), templateId, 1);
  }

  /** WeChat says the user has none left (43101) or turned the template off. */
  async zero(openid: string, templateId: string): Promise<void> {
    await this.redis.hSet(this.keys.quota(openid), templateId, '0');
  }
}
