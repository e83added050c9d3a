import { createHash, timingSafeEqual } from 'node:crypto';
import type { Next } from 'koa';
import { consoleCsrfMissing, consoleForeignOrigin } from '../../errors';
import type { AppContext } from '../context';

export const CSRF_HEADER = 'X-CSRF-Token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** This server's own origin as the browser names it (`https://…` behind a trusted proxy). */
function ownOrigin(ctx: AppContext): string {
  return `${ctx.protocol}://${ctx.host}`;
}

/**
 * Refuses a cookie-authenticated write that a page of another origin could have made: an `Origin`
 * other than this server's, a `Sec-Fetch-Site` other than same-origin, or (with `expected`) no
 * matching X-CSRF-Token header — which another origin's page cannot read or set. Safe methods
 * pass: they change nothing.
 */
export function checkCsrf(ctx: AppContext, expected?: string): void {
  if (SAFE_METHODS.has(ctx.method)) return;
  const origin = ctx.get('Origin');
  if (origin && origin !== ownOrigin(ctx)) throw consoleForeignOrigin();
  const site = ctx.get('Sec-Fetch-Site');
  if (site && site !== 'same-origin' && site !== 'none') throw consoleForeignOrigin();
  if (expected === undefined) return;
  const sent = ctx.get(CSRF_HEADER);
  if (!sent || !sameToken(sent, expected)) throw consoleCsrfMissing();
}

/**
 * For the console's sign-in writes, made before there is a session (and so a CSRF token): the
 * origin checks alone, so that another site cannot sign a browser in to an account of its choosing.
 */
export function sameOrigin() {
  return async function sameOriginMiddleware(ctx: AppContext, next: Next): Promise<void> {
    checkCsrf(ctx);
    await next();
  };
}

function sameToken(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
