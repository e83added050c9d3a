import type { Next } from 'koa';
import {
  AppError,
  MalformedBodyError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RedisUnavailableError,
} from '../../errors';
import { isRedisUnavailable } from '../../store/redis';
import type { AppContext } from '../context';

/**
 * The first middleware: every error becomes the envelope of SPEC §4. AppErrors carry their own
 * status; body-parser and Redis failures are translated; anything else is logged with the request id
 * and answered as a generic 500 that hides internals.
 */
export function errorHandler() {
  return async function errorHandlerMiddleware(ctx: AppContext, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        // The router answers unmatched paths and methods with a bare status (405 with its Allow header).
        if (ctx.status === 404) throw new NotFoundError(`no route for ${ctx.method} ${ctx.path}`);
        if (ctx.status === 405) throw new MethodNotAllowedError(ctx.response.get('Allow').split(/,\s*/));
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
      ctx.status = 500;
      ctx.body = { errcode: 50000, errmsg: `internal error (request ${ctx.state.requestId})` };
    }
  };
}

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (isRedisUnavailable(err)) return new RedisUnavailableError({ cause: err });
  // co-body / raw-body errors carry a `type` and an `expose`d status.
  const e = err as { type?: string; status?: number; expose?: boolean };
  if (e?.type === 'entity.too.large' || e?.status === 413) return new PayloadTooLargeError('64 KiB');
  // co-body marks a body that fails JSON.parse with status 400 (the raw body rides along: never log it).
  if (e?.type === 'entity.parse.failed' || e?.status === 400) return new MalformedBodyError();
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
    return new AppError(415, 41502, 'unsupported body encoding');
  }
  return undefined;
}

function describe(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  return cause instanceof Error ? cause.message : String((err as Error)?.message ?? err);
}
