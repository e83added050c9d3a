import { DateTime } from 'luxon';
import type { AccountDataStore } from '../store/account-data-store';
import type { SessionStore, UserProfile } from '../store/session-store';
import type { SubscriptionReport } from '../store/subscription-report-store';
import { isoTime, type KeyFamily, type PersonalData } from './personal-data';

/** The login side of a person's data: the profile, and the sessions as counts and expiries only. */
export interface AccountExport {
  profile: UserProfile | null;
  sessions: { count: number; items: { createdAt: string | null; expiresAt: string | null }[] };
}

/**
 * The profile and the login sessions. Erased first (src/instance.ts adds it first): every session
 * ends at once, so the old token is a 401 on every instance (sessions live in Redis only) before
 * anything else is touched. A session's token and WeChat's session_key are never exported.
 */
export class AccountPersonalData implements PersonalData {
  readonly name = 'account';
  readonly families: readonly KeyFamily[] = [
    { pattern: 'user:<openid>', about: 'hash: the profile (first and last login, unionid)' },
    {
      pattern: 'session:<token>',
      about: 'hash with TTL: one login session (its openid in a field)',
      notExported: ['sessionKey'], // WeChat's session_key: a secret, never shown to anyone
    },
    {
      pattern: 'user:<openid>:sessions',
      about: 'zset: the user’s session tokens by expiry',
      notExported: ['members'], // the tokens themselves: a bearer secret
    },
  ];

  constructor(
    private readonly deps: {
      sessions: Pick<SessionStore, 'profile' | 'sessionsOf' | 'eraseUser'>;
      now: () => number;
    },
  ) {}

  async export(openid: string): Promise<AccountExport> {
    const { sessions, now } = this.deps;
    const [profile, live] = await Promise.all([sessions.profile(openid), sessions.sessionsOf(openid, now())]);
    const items = live.map((s) => ({ createdAt: isoTime(s.createdAt), expiresAt: isoTime(s.expiresAt) }));
    return { profile, sessions: { count: items.length, items } };
  }

  erase(openid: string): Promise<number> {
    return this.deps.sessions.eraseUser(openid);
  }
}

/** Subscription grants left per template, and the popup results the client reported. */
export interface SubscriptionsExport {
  quota: Record<string, number>;
  reports: Record<string, SubscriptionReport>;
}

/**
 * The subscription ledger and the client's reports. Added after every feature that sends: a send
 * still in flight when erasure begins may give its grant back, and that feature's erasure waits
 * for it.
 */
export class SubscriptionPersonalData implements PersonalData {
  readonly name = 'subscriptions';
  readonly families: readonly KeyFamily[] = [
    { pattern: 'quota:{u<shard>}:<openid>', about: 'hash: templateId → one-time grants left' },
    {
      pattern: 'user:{u<shard>}:<openid>:subscriptions',
      about: 'hash: templateId → last reported popup result',
    },
  ];

  constructor(private readonly store: Pick<AccountDataStore, 'quota' | 'reports' | 'eraseSubscriptions'>) {}

  async export(openid: string): Promise<SubscriptionsExport> {
    const [quota, reports] = await Promise.all([this.store.quota(openid), this.store.reports(openid)]);
    return { quota, reports };
  }

  erase(openid: string): Promise<number> {
    return this.store.eraseSubscriptions(openid);
  }
}

/**
 * The per-day counters of USER_DAILY_SEND_LIMIT (src/store/send-limiter.ts): they live two days
 * past their day, in DEFAULT_TIMEZONE, so the days from two before today to tomorrow (another
 * instance's clock may be a little ahead) cover every counter that can exist.
 */
export class DailySendsPersonalData implements PersonalData {
  readonly name = 'dailySends';
  readonly families: readonly KeyFamily[] = [
    {
      pattern: 'user:{u<shard>}:<openid>:sends:<day>',
      about: 'string with TTL: subscribe messages sent that day',
    },
  ];

  constructor(
    private readonly deps: {
      store: Pick<AccountDataStore, 'dailySends' | 'eraseDailySends'>;
      timezone: string; // DEFAULT_TIMEZONE, the limiter's
      now: () => number;
    },
  ) {}

  export(openid: string): Promise<Record<string, number>> {
    return this.deps.store.dailySends(openid, this.days());
  }

  erase(openid: string): Promise<number> {
    return this.deps.store.eraseDailySends(openid, this.days());
  }

  private days(): string[] {
    const today = DateTime.fromMillis(this.deps.now(), { zone: this.deps.timezone });
    return [-2, -1, 0, 1].map((d) => today.plus({ days: d }).toISODate() ?? '').filter(Boolean);
  }
}
