import { DateTime } from 'luxon';
import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';
import { perShard } from './shards';

const admitSends = new LuaScript('admit-sends');
const returnSends = new LuaScript('return-sends');
// The day itself plus a margin: a give-back late in the day must still find its counter.
const COUNTER_TTL_SECONDS = 2 * 86_400;

/** A subscribe message about to be sent: to whom, with which template. */
export interface SendRequest {
  openid: string;
  templateId: string;
}

/** What one admitted send took: one send of `day`, and a grant when `granted`. */
export interface SendAllowance extends SendRequest {
  day: string; // YYYY-MM-DD in the limiter's zone: the counter a give-back returns to
  granted: boolean; // a subscription grant was taken (QUOTA_MODE=enforce)
}

export type AdmissionAnswer =
  { status: 'ok'; allowance: SendAllowance } | { status: 'no_quota' | 'rate_limited' };

/** The answer for a batch: every send's, or none because sends are paused (45009) for `pausedMs`. */
export type AdmissionBatch =
  { pausedMs: 0; answers: AdmissionAnswer[] } | { pausedMs: number; answers: null };

/** How a give-back treats the grant: returned, zeroed (WeChat's 43101), or kept (none was taken). */
export type GrantReturn = 'return' | 'zero' | 'keep';

export interface SendLimiterOptions {
  limit: number; // USER_DAILY_SEND_LIMIT: subscribe messages per user per day, default 50
  timezone: string; // DEFAULT_TIMEZONE: the zone whose midnight starts a new day
  now?: () => number;
}

/**
 * Whether a subscribe message may go out now (docs/architecture.md#per-user-daily-send-limit):
 * the user's subscription grant (QUOTA_MODE=enforce), then USER_DAILY_SEND_LIMIT — one user
 * receives at most `limit` subscribe messages a day from every feature together, so a runaway
 * cron or a noisy group cannot drain the app's daily quota and pause everybody (45009) — and not
 * while that pause is in force. Counted in Redis, so every instance and feature shares one count;
 * taken just before the call to WeChat, in one script per shard for the sends a turn
 * starts (admit-sends.lua), and given back when the message did not go out (return-sends.lua).
 *
 * A day is the calendar day in DEFAULT_TIMEZONE rather than UTC: the users are in that zone, and a
 * UTC day would reset the count at 08:00 in Shanghai.
 */
export class SendLimiter {
  private readonly now: () => number;
  // The day last computed and the ms range it covers: luxon is asked once a day, not once a send.
  private today = { day: '', from: 0, until: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly options: SendLimiterOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get limit(): number {
    return this.options.limit;
  }

  /**
   * Admits `requests` (in order, so two sends of one user racing for the last of the day get one
   * each until none is left), taking a grant for each when `takeGrants`.
   */
  async admit(requests: readonly SendRequest[], takeGrants: boolean): Promise<AdmissionBatch> {
    const day = this.dayOf(this.now());
    // The pause is one global key and the ledgers are per shard: one read of it per batch, just
    // before the shards' scripts, so no send starts into a pause another instance already met.
    const pausedMs = await this.redis.pTTL(this.keys.sendPause());
    if (pausedMs > 0) return { pausedMs, answers: null };
    const codes = await perShard(
      requests,
      (r) => this.keys.userShard(r.openid),
      (_shard, group) => {
        const keys: string[] = [];
        const args: string[] = [
          String(this.options.limit),
          String(COUNTER_TTL_SECONDS),
          takeGrants ? '1' : '0',
        ];
        for (const r of group) {
          keys.push(this.keys.quota(r.openid), this.keys.userDailySends(r.openid, day));
          args.push(r.templateId);
        }
        return admitSends.run<number[]>(this.redis, keys, args);
      },
    );
    return {
      pausedMs: 0,
      answers: requests.map((r, i): AdmissionAnswer => {
        const code = codes[i];
        if (code === 1) {
          return {
            status: 'ok',
            allowance: { openid: r.openid, templateId: r.templateId, day, granted: takeGrants },
          };
        }
        return { status: code === 0 ? 'no_quota' : 'rate_limited' };
      }),
    };
  }

  /** Gives back the sends of messages that did not reach their user, and their grants as `grant` says. */
  async giveBack(returns: readonly { allowance: SendAllowance; grant: GrantReturn }[]): Promise<void> {
    if (returns.length === 0) return;
    await perShard(
      returns,
      (r) => this.keys.userShard(r.allowance.openid),
      async (_shard, group) => {
        const keys: string[] = [];
        const args: string[] = [];
        for (const { allowance, grant } of group) {
          keys.push(
            this.keys.quota(allowance.openid),
            this.keys.userDailySends(allowance.openid, allowance.day),
          );
          args.push(allowance.templateId, grant);
        }
        await returnSends.run(this.redis, keys, args);
        return [];
      },
    );
  }

  /** Sends counted for `openid` on the day of `at` (default now). */
  async used(openid: string, at = this.now()): Promise<number> {
    return Number((await this.redis.get(this.keys.userDailySends(openid, this.dayOf(at)))) ?? 0);
  }

  /** The calendar day (`YYYY-MM-DD`) of `ms` in the limiter's zone. */
  dayOf(ms: number): string {
    const today = this.today;
    if (ms >= today.from && ms < today.until) return today.day;
    const start = DateTime.fromMillis(ms, { zone: this.options.timezone }).startOf('day');
    // The next midnight, not start + 24 h: a day across a DST change is 23 or 25 hours long.
    const day = {
      day: start.toISODate() ?? '',
      from: start.toMillis(),
      until: start.plus({ days: 1 }).toMillis(),
    };
    this.today = day;
    return day.day;
  }
}
