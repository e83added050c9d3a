import type { Keys } from './keys';
import type { Redis } from './redis';

export type SubscribeResult = 'accept' | 'reject' | 'ban' | 'filter';

export interface SubscriptionReport {
  result: SubscribeResult;
  at: string; // ISO time the client reported it
}

/**
 * The last popup result the client reported per template (`user:{u<shard>}:<openid>:subscriptions`). Kept
 * for support and for counting grants when no message push is configured; it never grants by
 * itself. Only configured templates are recorded (SubscriptionService), so the hash is bounded
 * by the templates of the deployment, not by what clients report.
 */
export class SubscriptionReportStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async record(openid: string, results: ReadonlyMap<string, SubscribeResult>, at: number): Promise<void> {
    const iso = new Date(at).toISOString();
    // A Map, not an object: a template id is never mistaken for a property of Object.prototype.
    const fields = new Map<string, string>();
    for (const [templateId, result] of results) fields.set(templateId, JSON.stringify({ result, at: iso }));
    if (fields.size > 0) await this.redis.hSet(this.keys.subscriptionReports(openid), fields);
  }

  async last(openid: string): Promise<Record<string, SubscriptionReport>> {
    const hash = await this.redis.hGetAll(this.keys.subscriptionReports(openid));
    return Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, JSON.parse(v) as SubscriptionReport]));
  }
}
