import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from '../logger';
import type { AppState } from './context';
import { errorHandler } from './middleware/error-handler';
import { jsonBody } from './middleware/json-body';
import { requestContext } from './middleware/request-context';
import { requestMetrics, type RequestObserver } from './middleware/request-metrics';

export interface AppOptions {
  logger: Logger;
  routers: Router<AppState>[];
  rawBodyPaths?: string[]; // routes that parse their own (non-JSON) bodies
  proxy?: boolean; // trust X-Forwarded-* (behind a reverse proxy)
  metrics?: RequestObserver; // counts requests by route pattern and status (GET /metrics)
}

/** Builds the Koa app from its parts; no port, no globals, so tests run it in-process. */
export function createApp(options: AppOptions): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: options.proxy ?? false });
  // Errors are answered by errorHandler(); Koa's default handler would print stacks to stderr.
  app.silent = true;
  const root = new Router<AppState>();
  for (const router of options.routers) root.use(router.routes());
  app.use(requestContext({ logger: options.logger }));
  if (options.metrics) app.use(requestMetrics({ metrics: options.metrics }));
  app
    .use(errorHandler())
    .use(jsonBody({ except: options.rawBodyPaths }))
    .use(root.routes())
    .use(root.allowedMethods());
  return app;
}
