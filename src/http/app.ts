import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from '../logger';
import type { Replication } from '../store/replication';
import type { AppState } from './context';
import { errorHandler } from './middleware/error-handler';
import { jsonBody } from './middleware/json-body';
import { replicated } from './middleware/replicated';
import { requestContext } from './middleware/request-context';
import { requestMetrics, type RequestObserver } from './middleware/request-metrics';
import { routeByResource } from './router-index';

export interface AppOptions {
  logger: Logger;
  routers: Router<AppState>[];
  rawBodyPaths?: string[]; // routes that parse their own (non-JSON) bodies
  proxy?: boolean; // trust X-Forwarded-* (behind a reverse proxy)
  metrics?: RequestObserver; // counts requests by route pattern and status (GET /metrics)
  replication?: Replication; // REDIS_WAIT_REPLICAS > 0: a 2xx to a write waits for the replicas
}

/** Builds the Koa app from its parts; no port, no globals, so tests run it in-process. */
export function createApp(options: AppOptions): Koa<AppState> {
  const app = new Koa<AppState>({ proxy: options.proxy ?? false });
  // Errors are answered by errorHandler(); Koa's default handler would print stacks to stderr.
  app.silent = true;
  app.use(requestContext({ logger: options.logger }));
  if (options.metrics) app.use(requestMetrics({ metrics: options.metrics }));
  app.use(errorHandler());
  if (options.replication?.enabled) app.use(replicated({ replication: options.replication }));
  app.use(jsonBody({ except: options.rawBodyPaths })).use(routeByResource(options.routers));
  return app;
}
