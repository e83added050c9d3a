import Router from '@koa/router';
import type { HealthService, RedisHealth } from '../../services/health-service';
import type { AppContext, AppState } from '../context';

// The errcodes of the 503 a request meets in the same state (errors.ts), with what health sees.
const PROBLEMS: Record<Exclude<RedisHealth, 'up'>, { errcode: number; errmsg: string }> = {
  down: { errcode: 50301, errmsg: 'redis is unreachable' },
  unresponsive: { errcode: 50301, errmsg: 'redis does not answer in time (stalled)' },
  loading: { errcode: 50304, errmsg: 'redis is loading its data (LOADING)' },
  out_of_memory: { errcode: 50305, errmsg: 'redis is out of memory and refuses writes (OOM)' },
};

export function healthRoutes(deps: { health: HealthService }): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/api/health', async (ctx: AppContext) => {
    const report = await deps.health.check();
    const { redis } = report.data;
    ctx.status = report.ok ? 200 : 503;
    ctx.body =
      redis === 'up'
        ? { errcode: 0, errmsg: 'ok', data: report.data }
        : { ...PROBLEMS[redis], data: report.data };
  });
  return router;
}
