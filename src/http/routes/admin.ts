import Router from '@koa/router';
import Joi from 'joi';
import type { ReloadReply } from '../../scheduler/scheduler';
import type { StatsService } from '../../services/stats-service';
import { inputOf, reply, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentReload, presentStats } from '../presenters/stats';
import { typedObject, withDefault } from '../schemas';

interface StatsQuery {
  days: number; // days of send results, today included
}

const statsQuery = typedObject<StatsQuery>({
  days: withDefault(Joi.number().integer().min(1).max(366), 30),
});

/** The operator's API: bearer ADMIN_TOKEN (401 when wrong, 503 when unset). */
export function adminRoutes(deps: {
  stats: Pick<StatsService, 'stats'>;
  reload: () => Promise<ReloadReply[]>; // asks every running instance to reconcile (scripts/reload-jobs)
  auth: Auth;
}): Router<AppState> {
  const { stats, reload, auth } = deps;
  const router = new Router<AppState>();

  const statsInput = validate({ query: statsQuery });
  router.get('/api/admin/stats', auth({ level: 'admin' }), statsInput, async (ctx: AppContext) => {
    reply(ctx, presentStats(await stats.stats(inputOf(ctx, statsInput).query.days)));
  });

  router.post('/api/admin/jobs/reload', auth({ level: 'admin' }), async (ctx: AppContext) => {
    reply(ctx, presentReload(await reload()));
  });

  return router;
}
