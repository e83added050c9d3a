import { randomBytes } from 'node:crypto';

/** How a token presented to an API fares: usable, or the errcode WeChat answers. */
export type TokenVerdict = 'ok' | 40001 | 42001;

interface IssuedToken {
  kind: 'token' | 'stable';
  issuedAt: number;
  /** Natural end of life (epoch ms): after it the token is expired, 42001. */
  expiresAt: number;
  /** Early end (superseded, force-refreshed, revoked), epoch ms: after it the token is invalid, 40001. */
  invalidAt: number;
}

export type StableTokenResult =
  { ok: true; accessToken: string; expiresIn: number } | { ok: false; errcode: 45009 | 45011 };

// WeChat keeps a superseded token working for about five minutes and rotates stable tokens five
// minutes before expiry; both are capped to half the lifetime so short test TTLs still behave.
const GRACE_MS = 5 * 60_000;
const FORCE_REFRESH_SPACING_MS = 30_000;
const FORCE_REFRESH_PER_DAY = 20;
const DAY_MS = 24 * 3600_000;

/**
 * Access tokens of one app, with WeChat's two issuing disciplines: `/cgi-bin/token` (every call
 * supersedes the previous tokens after a grace) and `/cgi-bin/stable_token` (one shared token,
 * rotated shortly before expiry). The two kinds never affect each other.
 */
export class TokenRegistry {
  private readonly tokens = new Map<string, IssuedToken>();
  private stableCurrent: string | null = null;
  private forceRefreshes: number[] = [];

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {}

  private get graceMs(): number {
    return Math.min(GRACE_MS, this.ttlMs / 2);
  }

  private issue(kind: IssuedToken['kind']): string {
    const now = this.now();
    this.prune(now);
    // Shaped like WeChat's: a numeric generation, an underscore, then opaque URL-safe text.
    const token = `${kind === 'stable' ? 91 : 90}_${randomBytes(96).toString('base64url')}`;
    const expiresAt = now + this.ttlMs;
    this.tokens.set(token, { kind, issuedAt: now, expiresAt, invalidAt: expiresAt });
    return token;
  }

  /** `/cgi-bin/token`: a new token; every earlier plain token dies after the grace. */
  issuePlain(): { accessToken: string; expiresIn: number } {
    const now = this.now();
    for (const t of this.tokens.values()) {
      if (t.kind === 'token') t.invalidAt = Math.min(t.invalidAt, now + this.graceMs);
    }
    return { accessToken: this.issue('token'), expiresIn: Math.round(this.ttlMs / 1000) };
  }

  /** `/cgi-bin/stable_token`. */
  stable(forceRefresh: boolean): StableTokenResult {
    const now = this.now();
    if (forceRefresh) {
      this.forceRefreshes = this.forceRefreshes.filter((at) => at > now - DAY_MS);
      const last = this.forceRefreshes[this.forceRefreshes.length - 1];
      if (this.forceRefreshes.length >= FORCE_REFRESH_PER_DAY) return { ok: false, errcode: 45009 };
      if (last !== undefined && now - last < FORCE_REFRESH_SPACING_MS) return { ok: false, errcode: 45011 };
      this.forceRefreshes.push(now);
      // Forcing kills every stable token at once, including one still in its rotation overlap.
      for (const t of this.tokens.values()) {
        if (t.kind === 'stable') t.invalidAt = Math.min(t.invalidAt, now);
      }
      this.stableCurrent = null;
    }
    const current = this.stableCurrent === null ? undefined : this.tokens.get(this.stableCurrent);
    if (this.stableCurrent !== null && current && this.usable(current, now)) {
      const remaining = Math.min(current.expiresAt, current.invalidAt) - now;
      // Inside the rotation window a new token is issued; the old one lives out its time.
      if (remaining > this.graceMs) {
        return { ok: true, accessToken: this.stableCurrent, expiresIn: Math.floor(remaining / 1000) };
      }
    }
    this.stableCurrent = this.issue('stable');
    return { ok: true, accessToken: this.stableCurrent, expiresIn: Math.round(this.ttlMs / 1000) };
  }

  verify(token: string): TokenVerdict {
    const t = this.tokens.get(token);
    const now = this.now();
    if (!t || (t.invalidAt <= now && t.invalidAt < t.expiresAt)) return 40001;
    if (t.expiresAt <= now) return 42001;
    return 'ok';
  }

  /** Every token issued so far stops working at once (as after a secret reset or a leak). */
  revokeAll(): void {
    const now = this.now();
    for (const t of this.tokens.values()) t.invalidAt = Math.min(t.invalidAt, now - 1);
    this.stableCurrent = null;
  }

  /** Forgets force-refresh history (the daily limit); tokens stay as they are. */
  resetLimits(): void {
    this.forceRefreshes = [];
  }

  get activeCount(): number {
    const now = this.now();
    let n = 0;
    for (const t of this.tokens.values()) if (this.usable(t, now)) n++;
    return n;
  }

  private usable(t: IssuedToken, now: number): boolean {
    return t.expiresAt > now && t.invalidAt > now;
  }

  // Dead tokens are kept for a while so that clients still get 40001/42001 rather than "unknown"
  // (also 40001): the distinction matters only within the hour, memory matters for long benches.
  private prune(now: number): void {
    for (const [token, t] of this.tokens) {
      if (Math.min(t.expiresAt, t.invalidAt) < now - 3600_000) this.tokens.delete(token);
    }
  }
}
