import { createHash, timingSafeEqual } from 'node:crypto';
import type { Next } from 'koa';
import {
  adminApiNotConfigured,
  adminTokenInvalid,
  authorizationMalformed,
  sessionRequired,
} from '../../errors';
import type { LoginService } from '../../services/login-service';
import type { AppContext } from '../context';

export interface AuthDeps {
  sessions: Pick<LoginService, 'authenticate'>;
  adminToken: string | undefined; // unset → the admin API answers 503
}

export type Auth = (options?: { level?: 'user' | 'admin' }) => (ctx: AppContext, next: Next) => Promise<void>;

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,512})$/;

/**
 * Binds the authentication factory to its dependencies once, so routes read `auth()` for a user
 * session and `auth({ level: 'admin' })` for the operator's bearer token.
 */
export function createAuth(deps: AuthDeps): Auth {
  return function auth(options = {}) {
    if (options.level === 'admin') {
      return async function adminAuthMiddleware(ctx: AppContext, next: Next): Promise<void> {
        if (!deps.adminToken) throw adminApiNotConfigured();
        const token = bearerToken(ctx);
        if (!sameSecret(token, deps.adminToken)) throw adminTokenInvalid();
        await next();
      };
    }
    return async function userAuthMiddleware(ctx: AppContext, next: Next): Promise<void> {
      ctx.state.session = await deps.sessions.authenticate(bearerToken(ctx));
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
