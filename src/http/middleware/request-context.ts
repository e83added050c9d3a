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
    ctx.state.requestId = requestId;
    bindLog(ctx.state, logger, requestId);
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

function bindLog(state: AppState, logger: Logger, requestId: string): void {
  let child: Logger | undefined;
  Object.defineProperty(state, 'log', {
    configurable: true,
    enumerable: true,
    get: () => (child ??= logger.child({ reqId: requestId })),
    set: (value: Logger) => {
      child = value;
    },
  });
}
