import bodyParser from 'koa-bodyparser';
import type { Next } from 'koa';
import { UnsupportedMediaTypeError } from '../../errors';
import type { AppContext } from '../context';

export const BODY_LIMIT = '64kb';

/**
 * Parses JSON bodies up to 64 KiB: 413 past it, 400 when malformed, 415 when a body is sent with
 * another content type. Handlers never read the raw body: validate() takes it from here.
 */
export function jsonBody(options: { except?: string[] } = {}) {
  const parse = bodyParser({ enableTypes: ['json'], jsonLimit: BODY_LIMIT, strict: true });
  const except = new Set(options.except ?? []);
  return async function jsonBodyMiddleware(ctx: AppContext, next: Next): Promise<void> {
    // Routes that take other formats (the WeChat push URL takes XML) parse their own bodies.
    if (except.has(ctx.path)) return next();
    if (hasBody(ctx) && !ctx.is('application/json', '+json')) throw new UnsupportedMediaTypeError();
    await parse(ctx, next);
  };
}

export function hasBody(ctx: AppContext): boolean {
  const length = ctx.get('Content-Length');
  return (length !== '' && length !== '0') || ctx.get('Transfer-Encoding') !== '';
}
