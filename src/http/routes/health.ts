import Router from '@koa/router';
import {
  healthRedisDown,
  healthRedisLoading,
  healthRedisOutOfMemory,
  healthRedisReadOnly,
  healthRedisStalled,
  type AppError,
} from '../../errors';
import type { HealthService, RedisHealth } from '../../services/health-service';
import type { AppContext, AppState } from '../context';
import { envelope } from '../presenters/envelope';
import { presentHealth } from '../presenters/health';

// The errcodes of the 503 a request meets in the same state, with what health sees.
const PROBLEMS: Record<Exclude<RedisHealth, 'up'>, () => AppError> = {
  down: healthRedisDown,
  unresponsive: healthRedisStalled,
  loading: healthRedisLoading,
  out_of_memory: healthRedisOutOfMemory,
  read_only: healthRedisReadOnly,
};

function problem(redis: Exclude<RedisHealth, 'up'>): { errcode: number; errmsg: string } {
  const error = PROBLEMS[redis]();
  return { errcode: error.errcode, errmsg: error.message };
}

export function healthRoutes(deps: { health: HealthService }): Router<AppState> {
  const router = new Router<AppState>();
  router.get('/api/health', async (ctx: AppContext) => {
    const report = await deps.health.check();
    const data = presentHealth(report.data);
    const { redis } = data;
    ctx.status = report.ok ? 200 : 503;
    // Degraded, the view still goes out, in the envelope of the 503 a request meets meanwhile.
    ctx.body = redis === 'up' ? envelope(data) : { ...problem(redis), data };
  });
  return router;
}
