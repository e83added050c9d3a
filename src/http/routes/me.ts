import Router from '@koa/router';
import type { MeService } from '../../services/me-service';
import { reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { presentErasure, presentExport } from '../presenters/me';

/**
 * A person's own data (docs/architecture.md#a-persons-own-data): `GET /api/me/export`, everything stored about the caller as one
 * JSON document, and `DELETE /api/me`, all of it erased and every session ended. Neither takes
 * input: the session says whose data it is.
 */
export function meRoutes(deps: { me: MeService; auth: Auth }): Router<AppState> {
  const { me, auth } = deps;
  const router = new Router<AppState>();

  router.get('/api/me/export', auth(), async (ctx: AppContext) => {
    ctx.set('Cache-Control', 'no-store'); // a person's whole record: no cache along the way keeps it
    reply(ctx, presentExport(await me.export(sessionOf(ctx).openid)));
  });

  router.delete('/api/me', auth(), async (ctx: AppContext) => {
    reply(ctx, presentErasure(await me.erase(sessionOf(ctx).openid)));
  });

  return router;
}
