import type { Next } from 'koa';
import { AppError, internalError, methodNotAllowed, routeNotFound } from '../../errors';
import { redisUnavailableError } from '../../store/redis';
import type { AppContext } from '../context';

/**
 * The first middleware: every error becomes the envelope (README.md#http-api, docs/errors.md).
 * AppErrors carry their own status (body reading and parsing throw them too); Redis failures are
 * translated; anything else is logged with the request id and answered as a generic 500 that hides
 * internals.
 */
export function errorHandler() {
  return async function errorHandlerMiddleware(ctx: AppContext, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        // The router answers unmatched paths and methods with a bare status and its Allow header:
        // 405, or 501 for a method no route uses (TRACE, PROPFIND). Both are the client's doing,
        // answered 405 in the envelope, or 404 when nothing is served at the path at all.
        if (ctx.status === 405 || ctx.status === 501) {
          const allowed = ctx.response.get('Allow').split(/,\s*/).filter(Boolean);
          if (allowed.length > 0) throw methodNotAllowed(allowed);
          ctx.remove('Allow');
          ctx.status = 404;
        }
        if (ctx.status === 404) throw routeNotFound(ctx.method, ctx.path);
      }
    } catch (err) {
      const appError = toAppError(err);
      if (appError) {
        ctx.status = appError.status;
        ctx.body = {
          errcode: appError.errcode,
          errmsg: appError.message,
          ...(appError.details ? { details: appError.details } : {}),
        };
        if (appError.status >= 500) ctx.state.log?.warn({ err: describe(err) }, appError.message);
        return;
      }
      ctx.state.log?.error({ err }, 'unhandled error');
      const internal = internalError(ctx.state.requestId);
      ctx.status = internal.status;
      ctx.body = { errcode: internal.errcode, errmsg: internal.message };
    }
  };
}

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const redis = redisUnavailableError(err); // stalled, unreachable, LOADING, OOM
  if (redis) return redis;
  return undefined;
}

function describe(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  return cause instanceof Error ? cause.message : String((err as Error)?.message ?? err);
}
