import type { Next } from 'koa';
import type { AppContext } from '../context';

export interface RequestObserver {
  observeRequest(r: { method: string; route: string; status: number; seconds: number }): void;
}

/** The label of requests no route matched (404s, scans): one series, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Reports each answered request by the router's matched pattern (`/api/reminders/:id`), never
 * the raw path, so ids and scanners' paths cannot blow up the number of series. Sits outside the
 * error handler, so it sees the status the client got.
 */
export function requestMetrics(options: { metrics: RequestObserver }) {
  return async function requestMetricsMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const started = performance.now();
    try {
      await next();
    } finally {
      // Set by @koa/router on the context of a matched route.
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      options.metrics.observeRequest({
        method: ctx.method,
        route: typeof matched === 'string' ? matched : UNMATCHED_ROUTE,
        status: ctx.status,
        seconds: (performance.now() - started) / 1000,
      });
    }
  };
}
