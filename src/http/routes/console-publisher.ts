import Router from '@koa/router';
import Joi from 'joi';
import type { AudienceQuery, ConsolePublisher } from '../../services/console-publisher';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentAudienceCount, presentConsoleNotices } from '../presenters/console';
import { required, text, typedObject } from '../schemas';

interface IdParams {
  id: string;
}

const id = Joi.string().pattern(/^\d{1,15}$/, 'an id');
const idParams = typedObject<IdParams>({ id: required(id) });
// As POST /api/notices's `audience`, so that the count is of what a notice would address.
const audienceBody = typedObject<AudienceQuery>({
  groups: required(Joi.alternatives().try(Joi.array().items(id).min(1).max(20).unique())),
  tags: Joi.alternatives().try(Joi.array().items(text().trim().min(1).max(20)).max(20)),
  members: Joi.alternatives().try(
    Joi.array()
      .items(Joi.string().pattern(/^(\d{1,15}:)?\d{1,15}$/, 'a memberId or <groupId>:<memberId>'))
      .max(500),
  ),
});

/**
 * What the publisher pages need beyond the mini-program's API: their notices, the
 * audience picker's live count, CSV exports. User level: a publisher's console cookie or a
 * mini-program Bearer session alike; each answer checks group rights like the feature's own routes.
 */
export function consolePublisherRoutes(deps: { publisher: ConsolePublisher; auth: Auth }): Router<AppState> {
  const { publisher, auth } = deps;
  const router = new Router<AppState>();

  router.get('/api/console/notices', auth(), async (ctx: AppContext) => {
    reply(ctx, presentConsoleNotices(await publisher.myNotices(sessionOf(ctx).openid)));
  });

  const audience = validate({ body: audienceBody });
  router.post('/api/console/audience', auth(), audience, async (ctx: AppContext) => {
    reply(
      ctx,
      presentAudienceCount(await publisher.audienceCount(sessionOf(ctx).openid, inputOf(ctx, audience).body)),
    );
  });

  const csvOf = (ctx: AppContext, file: { filename: string; body: string }) => {
    ctx.set('Content-Disposition', `attachment; filename="${file.filename}"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/csv; charset=utf-8';
    ctx.body = file.body;
  };

  const one = validate({ params: idParams });
  router.get('/api/console/notices/:id/stats.csv', auth(), one, async (ctx: AppContext) => {
    csvOf(ctx, await publisher.noticeCsv(sessionOf(ctx).openid, inputOf(ctx, one).params.id));
  });

  router.get('/api/console/checkins/:id/stats.csv', auth(), one, async (ctx: AppContext) => {
    csvOf(ctx, await publisher.checkinCsv(sessionOf(ctx).openid, inputOf(ctx, one).params.id));
  });

  return router;
}
