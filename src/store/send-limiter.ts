import { DateTime } from 'luxon';
import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const takeAllowance = new LuaScript('take-send-allowance');
const returnAllowance = new LuaScript('return-send-allowance');
// The day itself plus a margin: a give-back late in the day must still find its counter.
const COUNTER_TTL_SECONDS = 2 * 86_400;

/** One send taken from a user's allowance of a day; `giveBack` returns it to that same day. */
export interface SendAllowance {
  openid: string;
  day: string; // YYYY-MM-DD in the limiter's zone
}

export interface SendLimiterOptions {
  limit: number; // USER_DAILY_SEND_LIMIT: subscribe messages per user per day, default 50
  timezone: string; // DEFAULT_TIMEZONE: the zone whose midnight starts a new day
  now?: () => number;
}

/**
 * USER_DAILY_SEND_LIMIT (docs/architecture.md#per-user-daily-send-limit): one user receives at most
 * `limit` subscribe messages a day from every feature together, so a runaway cron or a noisy group
 * cannot drain the app's daily quota and pause everybody (45009). Counted in Redis, so every
 * instance and feature shares one count. Anything that sends a subscribe message takes an allowance
 * just before it calls WeChat and gives it back when the message did not go out, as it does with
 * the subscription grant.
 *
 * A day is the calendar day in DEFAULT_TIMEZONE rather than UTC: the users are in that zone, and a
 * UTC day would reset the count at 08:00 in Shanghai.
 */
export class SendLimiter {
  private readonly now: () => number;

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

  /** Takes one send for `openid` today; null when the user has had `limit` already (nothing changes then). */
  async take(openid: string): Promise<SendAllowance | null> {
    const day = this.dayOf(this.now());
    const used = await takeAllowance.run<number>(
      this.redis,
      [this.keys.userDailySends(openid, day)],
      [this.options.limit, COUNTER_TTL_SECONDS],
    );
    return used < 0 ? null : { openid, day };
  }

  /** Returns a send whose message did not reach the user. */
  async giveBack(allowance: SendAllowance): Promise<void> {
    await returnAllowance.run(this.redis, [this.keys.userDailySends(allowance.openid, allowance.day)], []);
  }

  /** Sends counted for `openid` on the day of `at` (default now). */
  async used(openid: string, at = this.now()): Promise<number> {
    return Number((await this.redis.get(this.keys.userDailySends(openid, this.dayOf(at)))) ?? 0);
  }

  private dayOf(ms: number): string {
    return DateTime.fromMillis(ms, { zone: this.options.timezone }).toISODate() ?? '';
  }
}
