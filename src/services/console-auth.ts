import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  adminApiNotConfigured,
  adminTokenInvalid,
  consoleLoginNotFound,
  consoleLoginOtherBrowser,
  consoleLoginRateLimited,
  consoleLoginTaken,
  consoleSessionRequired,
  consoleSimulateUnavailable,
} from '../errors';
import type { ConsoleKind, ConsoleSessionStore, StoredConsoleSession } from '../store/console-session-store';
import type { WeChatClient } from '../wechat/wechat-client';
import type { ConsoleQrCodes } from './console-qrcode';

export const LOGIN_TTL_MS = 120_000; // a sign-in QR code works 2 minutes
export const LOGIN_STARTS_PER_MINUTE = 20; // per client address
export const LOGIN_SCENE_PREFIX = 'l:';
/** A nonce as the QR's scene and the URLs carry it: 16 random bytes, base64url (22 characters). */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{22}$/;
export const DEFAULT_CONSOLE_SESSION_TTL_SECONDS = 43_200;

/** A console session as the middleware hands it on; its token stays in the cookie. */
export interface ConsoleSession {
  kind: ConsoleKind;
  openid: string | null;
  csrf: string;
  expiresAt: number; // ms
  digest: string; // SHA-256 of the cookie's token: its key (sign-out)
}

/** A new session: the token goes into the cookie, never into a page's script. */
export interface NewConsoleSession {
  token: string;
  session: ConsoleSession;
}

/** A sign-in started: the nonce for the URLs, the poll secret for the starting browser's cookie. */
export interface StartedLogin {
  nonce: string;
  poller: string;
  qrcode: { image: Buffer; contentType: string };
  expiresAt: number; // ms
}

export type PollResult =
  { status: 'pending'; expiresAt: null } | ({ status: 'approved' } & NewConsoleSession);

export interface ConsoleAuthDeps {
  store: ConsoleSessionStore;
  qrcodes: Pick<ConsoleQrCodes, 'image'>;
  adminToken: string | undefined; // unset → operators cannot sign in (503, like the admin API)
  sessionTtlSeconds: number; // CONSOLE_SESSION_TTL_SECONDS
  // The sandbox's WeChat, when main.ts started it: "simulate the scan" logs a sandbox user in
  // through code2Session as the mini-program would. Absent with real WeChat.
  sandbox?: Pick<WeChatClient, 'code2Session'>;
  now: () => number;
}

const digest = (secret: string): string => createHash('sha256').update(secret).digest('hex');
const secret = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** Constant-time comparison of two secrets of any length (their SHA-256 digests). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * Web console sign-in and sessions: operators with ADMIN_TOKEN, publishers by scanning
 * a mini-program QR code that the mini-program user approves while the page polls. Sessions live
 * in Redis under the SHA-256 of their token with a CSRF token of their own; they end at sign-out,
 * at CONSOLE_SESSION_TTL_SECONDS (by this service's clock, and by the key's TTL), and when the
 * publisher erases their data.
 */
export class ConsoleAuth {
  constructor(private readonly deps: ConsoleAuthDeps) {}

  /** Whether "simulate the scan" is offered (sandbox mode only). */
  get sandbox(): boolean {
    return this.deps.sandbox !== undefined;
  }

  /** An operator session for the right ADMIN_TOKEN (compared in constant time). */
  async operatorLogin(token: string): Promise<NewConsoleSession> {
    const { adminToken } = this.deps;
    if (!adminToken) throw adminApiNotConfigured();
    if (!sameSecret(token, adminToken)) throw adminTokenInvalid();
    return this.open('operator', null);
  }

  /**
   * Starts a QR sign-in for the page of `client` (its address, rate-limited): a nonce, the poll
   * secret only that browser gets, and the QR image. The image is made first: a failed one stores
   * nothing.
   */
  async start(client: string): Promise<StartedLogin> {
    const { store, qrcodes, now } = this.deps;
    const { count, resetMs } = await store.countStart(digest(client));
    if (count > LOGIN_STARTS_PER_MINUTE)
      throw consoleLoginRateLimited(Math.max(1, Math.ceil(resetMs / 1000)));
    const nonce = secret(16);
    const poller = secret(32);
    const qrcode = await qrcodes.image(`${LOGIN_SCENE_PREFIX}${nonce}`);
    const at = now();
    await store.createLogin(digest(nonce), digest(poller), at, LOGIN_TTL_MS);
    return { nonce, poller, qrcode, expiresAt: at + LOGIN_TTL_MS };
  }

  /** The mini-program user `openid` approves the sign-in they scanned: 404 expired, 409 taken. */
  async approve(nonce: string, openid: string): Promise<void> {
    const at = this.deps.now();
    const outcome = await this.deps.store.approveLogin(digest(nonce), openid, at, at - LOGIN_TTL_MS);
    if (outcome === 'missing') throw consoleLoginNotFound();
    if (outcome === 'taken') throw consoleLoginTaken();
  }

  /** The page's poll: pending, or approved with the new session (handed over once). */
  async poll(nonce: string, poller: string | undefined): Promise<PollResult> {
    if (!poller) throw consoleLoginOtherBrowser();
    const taken = await this.deps.store.takeLogin(
      digest(nonce),
      digest(poller),
      this.deps.now() - LOGIN_TTL_MS,
    );
    switch (taken.outcome) {
      case 'missing':
        throw consoleLoginNotFound();
      case 'other':
        throw consoleLoginOtherBrowser();
      case 'pending':
        return { status: 'pending', expiresAt: null };
      case 'approved':
        return { status: 'approved', ...(await this.open('publisher', taken.openid)) };
    }
  }

  /**
   * Sandbox mode: approves the sign-in as the sandbox user `name` (logged in through
   * code2Session, as `alice#1` is), for the page that started it.
   */
  async simulate(nonce: string, poller: string | undefined, name: string): Promise<void> {
    const { sandbox } = this.deps;
    if (!sandbox) throw consoleSimulateUnavailable();
    if (!poller) throw consoleLoginOtherBrowser();
    const peek = await this.deps.store.takeLogin(
      digest(nonce),
      digest(poller),
      this.deps.now() - LOGIN_TTL_MS,
    );
    if (peek.outcome === 'missing') throw consoleLoginNotFound();
    if (peek.outcome === 'other') throw consoleLoginOtherBrowser();
    if (peek.outcome === 'approved') throw consoleLoginTaken(); // (and now used up)
    const { openid } = await sandbox.code2Session(`${name}#console-${secret(6)}`);
    await this.approve(nonce, openid);
  }

  /** The live session of a cookie token, or 401. An expired one is deleted on the way. */
  async authenticate(token: string | undefined): Promise<ConsoleSession> {
    if (!token || token.length > 128) throw consoleSessionRequired();
    const key = digest(token);
    const stored = await this.deps.store.session(key);
    if (!stored) throw consoleSessionRequired();
    if (stored.expiresAt <= this.deps.now()) {
      await this.deps.store.deleteSession(key, stored.openid);
      throw consoleSessionRequired();
    }
    return view(stored, key);
  }

  /** Signs the session out. */
  async logout(session: ConsoleSession): Promise<void> {
    await this.deps.store.deleteSession(session.digest, session.openid);
  }

  private async open(kind: ConsoleKind, openid: string | null): Promise<NewConsoleSession> {
    const { store, sessionTtlSeconds, now } = this.deps;
    const token = secret(32);
    const at = now();
    const stored: StoredConsoleSession = {
      kind,
      openid,
      csrf: secret(32),
      createdAt: at,
      expiresAt: at + sessionTtlSeconds * 1000,
    };
    const key = digest(token);
    await store.createSession(key, stored, sessionTtlSeconds);
    return { token, session: view(stored, key) };
  }
}

function view(stored: StoredConsoleSession, key: string): ConsoleSession {
  return {
    kind: stored.kind,
    openid: stored.openid,
    csrf: stored.csrf,
    expiresAt: stored.expiresAt,
    digest: key,
  };
}
