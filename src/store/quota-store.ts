import type { Keys } from './keys';
import type { Redis } from './redis';

/**
 * The per-user subscription ledger: `quota:{u<shard>}:<openid>` maps templateId → one-time grants left.
 * Each accept adds one; each accepted send consumes one, taken (and given back when the message
 * did not go out) by the pipeline's admission step with the day's allowance (SendLimiter,
 * admit-sends.lua, return-sends.lua).
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
}
