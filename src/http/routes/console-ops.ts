import Router from '@koa/router';
import type { ConsoleOps } from '../../services/console-ops';
import { reply, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { presentOpsOverview } from '../presenters/console';

/**
 * The operator console's own read: health and instances, the next due occurrences,
 * token and pause state. Admin level: an operator's console cookie, or Bearer ADMIN_TOKEN. The
 * other operator pages use the admin API as it is (stats, bot rules, conversations).
 */
export function consoleOpsRoutes(deps: { ops: Pick<ConsoleOps, 'overview'>; auth: Auth }): Router<AppState> {
  const { ops, auth } = deps;
  const router = new Router<AppState>();

  router.get('/api/console/ops/overview', auth({ level: 'admin' }), async (ctx: AppContext) => {
    ctx.set('Cache-Control', 'no-store');
    reply(ctx, presentOpsOverview(await ops.overview()));
  });

  return router;
}
