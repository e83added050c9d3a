import Router from '@koa/router';
import Joi from 'joi';
import type { ReloadReply } from '../../scheduler/scheduler';
import type { StatsService } from '../../services/stats-service';
import { inputOf, reply, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';

const statsQuery = Joi.object({
  days: Joi.number().integer().min(1).max(366).default(30), // days of send results, today included
});

/** The operator's API: bearer ADMIN_TOKEN (401 when wrong, 503 when unset). */
export function adminRoutes(deps: {
  stats: Pick<StatsService, 'stats'>;
  reload: () => Promise<ReloadReply[]>; // asks every running instance to reconcile (scripts/reload-jobs)
  auth: Auth;
}): Router<AppState> {
  const { stats, reload, auth } = deps;
  const router = new Router<AppState>();

  router.get(
    '/api/admin/stats',
    auth({ level: 'admin' }),
    validate({ query: statsQuery }),
    async (ctx: AppContext) => {
      reply(ctx, await stats.stats(inputOf<{ days: number }>(ctx).days));
    },
  );

  router.post('/api/admin/jobs/reload', auth({ level: 'admin' }), async (ctx: AppContext) => {
    const instances = await reload();
    reply(ctx, { instances: instances.length, replies: instances });
  });

  return router;
}
