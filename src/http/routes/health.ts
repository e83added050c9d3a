import Router from '@koa/router';
import type { HealthService } from '../../services/health-service';
import type { AppContext, AppState } from '../context';

export function healthRoutes(deps: { health: HealthService }): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/api/health', async (ctx: AppContext) => {
    const report = await deps.health.check();
    ctx.status = report.ok ? 200 : 503;
    ctx.body = report.ok
      ? { errcode: 0, errmsg: 'ok', data: report.data }
      : { errcode: 50301, errmsg: 'redis is unreachable', data: report.data };
  });
  return router;
}
