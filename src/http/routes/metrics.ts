import Router from '@koa/router';
import type { AppContext, AppState } from '../context';

export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/**
 * `GET /metrics`: the Prometheus text format, without authentication so any scraper can read it.
 * It tells whoever reads it about traffic and delivery volumes: operators keep it off the public
 * interface (bind the scraper to the private network, or block `/metrics` at the reverse proxy).
 */
export function metricsRoutes(deps: { metrics: MetricsSource }): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/metrics', async (ctx: AppContext) => {
    const text = await deps.metrics.render();
    // Set before the body, or Koa would type a string body as text/plain without the version.
    ctx.set('Content-Type', deps.metrics.contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = text;
  });
  return router;
}
