import type { Keys } from './keys';
import type { Redis } from './redis';
import type { SubscriptionReport } from './subscription-report-store';

/**
 * A user's ledgers as personal data (DELETE /api/me, GET /api/me/export): the subscription grants
 * (`quota:{u<shard>}:<openid>`), the popup results the client reported
 * (`user:{u<shard>}:<openid>:subscriptions`) and the daily send counters
 * (`user:{u<shard>}:<openid>:sends:<day>`), read as stored and erased at once. All in the user's
 * shard: the multi-key DELs stay in one slot.
 */
export class AccountDataStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** templateId → grants left, as the ledger holds them. */
  async quota(openid: string): Promise<Record<string, number>> {
    const hash = await this.redis.hGetAll(this.keys.quota(openid));
    return Object.fromEntries(Object.entries(hash).map(([templateId, n]) => [templateId, Number(n)]));
  }

  /** templateId → the client's last reported popup result. */
  async reports(openid: string): Promise<Record<string, SubscriptionReport>> {
    const hash = await this.redis.hGetAll(this.keys.subscriptionReports(openid));
    return Object.fromEntries(
      Object.entries(hash).map(([templateId, json]) => [templateId, JSON.parse(json) as SubscriptionReport]),
    );
  }

  /** Deletes the grant ledger and the reports; resolves how many of the two existed. */
  async eraseSubscriptions(openid: string): Promise<number> {
    return this.redis.del([this.keys.quota(openid), this.keys.subscriptionReports(openid)]);
  }

  /** day → subscribe messages counted that day, for the days that have a counter. */
  async dailySends(openid: string, days: readonly string[]): Promise<Record<string, number>> {
    if (days.length === 0) return {};
    const counts = await this.redis.mGet(days.map((day) => this.keys.userDailySends(openid, day)));
    return Object.fromEntries(days.flatMap((day, i) => (counts[i] ? [[day, Number(counts[i])]] : [])));
  }

  /** Deletes the counters of these days; resolves how many existed. */
  async eraseDailySends(openid: string, days: readonly string[]): Promise<number> {
    if (days.length === 0) return 0;
    return this.redis.del(days.map((day) => this.keys.userDailySends(openid, day)));
  }
}
