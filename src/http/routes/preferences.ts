import Router from '@koa/router';
import Joi from 'joi';
import type { NoticeInbox } from '../../services/notice-inbox';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentPreferences } from '../presenters/notice';
import { required, text, typedObject } from '../schemas';

interface PreferencesBody {
  categories: Record<string, boolean>; // category → whether its notices push
}

const preferencesBody = typedObject<PreferencesBody>({
  categories: required(Joi.object().pattern(text().min(1).max(20), Joi.boolean().required()).max(50)),
});

/**
 * Which notice categories push (docs/architecture.md#notices-to-groups): all by default; a muted category's notices still land
 * in the inbox, and urgent ones push anyway (never without a grant).
 */
export function preferenceRoutes(deps: { inbox: NoticeInbox; auth: Auth }): Router<AppState> {
  const { inbox, auth } = deps;
  const router = new Router<AppState>();

  router.get('/api/preferences', auth(), async (ctx: AppContext) => {
    reply(ctx, presentPreferences(await inbox.preferences(sessionOf(ctx).openid)));
  });

  const put = validate({ body: preferencesBody });
  router.put('/api/preferences', auth(), put, async (ctx: AppContext) => {
    const { categories } = inputOf(ctx, put).body;
    reply(ctx, presentPreferences(await inbox.setPreferences(sessionOf(ctx).openid, categories)));
  });

  return router;
}
