import { randomUUID } from 'node:crypto';
import type { Next } from 'koa';
import type { Logger } from '../../logger';
import type { AppContext, AppState } from '../context';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Gives each request an id (the caller's X-Request-Id when sane) and a logger bound to it; logs
 * the outcome. The child logger is made on first use only: a pino child (bindings serialised and
 * redacted) cost more than the request's one line, and most requests log nothing else.
 */
export function requestContext(options: { logger: Logger }) {
  const { logger } = options;
  // The outcome line holds only the fields below, none of them a secret, so it skips the
  // redaction pass (a third of a line's cost); every other line keeps it.
  const outcomes = logger.child({}, { redact: [] });
  return async function requestContextMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const incoming = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    // One class for every request's state rather than a property defined on each (a slow path in V8).
    ctx.state = Object.assign(new RequestState(logger, requestId), ctx.state) as AppState;
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      // ctx.path, not ctx.url: query strings may carry signatures and nonces.
      outcomes.info(
        {
          reqId: requestId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  };
}

/**
 * A request's state: `log` is the request's child logger, made on first read (a pino child costs
 * more than the request's one line, and most requests log nothing else), or what a route set.
 */
class RequestState implements Pick<AppState, 'requestId' | 'log'> {
  private child: Logger | undefined;

  constructor(
    private readonly logger: Logger,
    readonly requestId: string,
  ) {}

  get log(): Logger {
    return (this.child ??= this.logger.child({ reqId: this.requestId }));
  }

  set log(value: Logger) {
    this.child = value;
  }
}
