import { createHash, timingSafeEqual } from 'node:crypto';
import type { Next } from 'koa';
import {
  adminApiNotConfigured,
  adminTokenInvalid,
  authorizationMalformed,
  consoleOperatorsOnly,
  consolePublishersOnly,
  consoleSessionRequired,
  sessionRequired,
} from '../../errors';
import type { ConsoleAuth, ConsoleSession } from '../../services/console-auth';
import type { LoginService } from '../../services/login-service';
import type { AppContext } from '../context';
import { checkCsrf } from './csrf';

export interface AuthDeps {
  sessions: Pick<LoginService, 'authenticate'>;
  adminToken: string | undefined; // unset → the admin API answers 503
  console?: Pick<ConsoleAuth, 'authenticate'>; // web console cookie sessions; absent: none
}

/**
 * `user`: a mini-program Bearer session, or a publisher's console cookie; `admin`: Bearer
 * ADMIN_TOKEN, or an operator's console cookie; `console`: any console cookie (its own routes).
 * `bearer: true` refuses the cookie (a mini-program-only step, such as approving a console sign-in).
 * Every cookie-authenticated write must pass the CSRF checks (./csrf.ts).
 */
export type Auth = (options?: {
  level?: 'user' | 'admin' | 'console';
  bearer?: boolean;
}) => (ctx: AppContext, next: Next) => Promise<void>;

/** The web console's session cookie: HttpOnly, SameSite=Strict, Secure behind HTTPS. */
export const CONSOLE_COOKIE = 'tixing_console';

const consoleSessions = new WeakMap<AppContext, ConsoleSession>();

/** The console session auth() found on this request; calling it elsewhere is a programming error. */
export function consoleSessionOf(ctx: AppContext): ConsoleSession {
  const session = consoleSessions.get(ctx);
  if (!session) throw new Error('route is missing auth({ level: "console" })');
  return session;
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,512})$/;

/**
 * Binds the authentication factory to its dependencies once, so routes read `auth()` for a user
 * session and `auth({ level: 'admin' })` for the operator's bearer token.
 */
export function createAuth(deps: AuthDeps): Auth {
  /** The request's console session when it has no Authorization header but the cookie, else null. */
  const fromCookie = async (ctx: AppContext, bearerOnly = false): Promise<ConsoleSession | null> => {
    if (bearerOnly || !deps.console || ctx.get('Authorization')) return null;
    const token = ctx.cookies.get(CONSOLE_COOKIE);
    if (!token) return null;
    const session = await deps.console.authenticate(token);
    checkCsrf(ctx, session.csrf);
    consoleSessions.set(ctx, session);
    return session;
  };
  return function auth(options = {}) {
    if (options.level === 'console') {
      return async function consoleAuthMiddleware(ctx: AppContext, next: Next): Promise<void> {
        if (!(await fromCookie(ctx))) throw consoleSessionRequired();
        await next();
      };
    }
    if (options.level === 'admin') {
      return async function adminAuthMiddleware(ctx: AppContext, next: Next): Promise<void> {
        if (!deps.adminToken) throw adminApiNotConfigured();
        const cookie = await fromCookie(ctx, options.bearer);
        if (cookie) {
          if (cookie.kind !== 'operator') throw consoleOperatorsOnly();
        } else if (!sameSecret(bearerToken(ctx), deps.adminToken)) {
          throw adminTokenInvalid();
        }
        await next();
      };
    }
    return async function userAuthMiddleware(ctx: AppContext, next: Next): Promise<void> {
      const cookie = await fromCookie(ctx, options.bearer);
      if (cookie) {
        if (cookie.kind !== 'publisher' || !cookie.openid) throw consolePublishersOnly();
        ctx.state.session = { openid: cookie.openid, token: '' }; // the console's token stays in its cookie
      } else {
        ctx.state.session = await deps.sessions.authenticate(bearerToken(ctx));
      }
      await next();
    };
  };
}

function bearerToken(ctx: AppContext): string {
  const header = ctx.get('Authorization');
  if (!header) throw sessionRequired();
  const match = BEARER.exec(header);
  if (!match?.[1]) throw authorizationMalformed();
  return match[1];
}

/** Constant-time comparison of two secrets of any length (compares their SHA-256 digests). */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
