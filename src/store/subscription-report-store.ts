import type { Keys } from './keys';
import type { Redis } from './redis';

export type SubscribeResult = 'accept' | 'reject' | 'ban' | 'filter';

export interface SubscriptionReport {
  result: SubscribeResult;
  at: string; // ISO time the client reported it
}

/**
 * The last popup result the client reported per template (`user:<openid>:subscriptions`). Kept
 * for support and for counting grants when no message push is configured; it never grants by
 * itself. One field per template bounds the hash by the number of templates, not of reports.
 */
export class SubscriptionReportStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async record(openid: string, results: Record<string, SubscribeResult>, at: number): Promise<void> {
    const iso = new Date(at).toISOString();
    const fields = Object.fromEntries(
      Object.entries(results).map(([templateId, result]) => [
        templateId,
        JSON.stringify({ result, at: iso }),
      ]),
    );
    if (Object.keys(fields).length > 0) await this.redis.hSet(this.keys.subscriptionReports(openid), fields);
  }

  async last(openid: string): Promise<Record<string, SubscriptionReport>> {
    const hash = await this.redis.hGetAll(this.keys.subscriptionReports(openid));
    return Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, JSON.parse(v) as SubscriptionReport]));
  }
}
