import Router from '@koa/router';
import Joi from 'joi';
import type { NoticeProgress } from '../../services/notice-progress';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentNoticeProgress } from '../presenters/notice-progress';
import { required, typedObject } from '../schemas';

interface IdParams {
  id: string;
}

const idParams = typedObject<IdParams>({ id: required(Joi.string().pattern(/^\d{1,15}$/)) });

/** A notice's progress over time (managers): what the console's progress chart draws. */
export function noticeProgressRoutes(deps: { progress: NoticeProgress; auth: Auth }): Router<AppState> {
  const { progress, auth } = deps;
  const router = new Router<AppState>();

  const one = validate({ params: idParams });
  router.get('/api/notices/:id/progress', auth(), one, async (ctx: AppContext) => {
    ctx.set('Cache-Control', 'no-store'); // it moves with every push, report and read
    reply(
      ctx,
      presentNoticeProgress(await progress.progress(sessionOf(ctx).openid, inputOf(ctx, one).params.id)),
    );
  });

  return router;
}
