import Router from '@koa/router';
import Joi from 'joi';
import type { SubscribeResult, SubscriptionService } from '../../services/subscription-service';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { text } from '../schemas';

const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,64}$/;
// One popup shows at most 3 templates; 10 leaves room for a client that batches a few popups.
const MAX_TEMPLATES = 10;
const result = Joi.string().valid('accept', 'reject', 'ban', 'filter');

/**
 * `{results: {<templateId>: "accept"|…}, errMsg?}`, or the object wx.requestSubscribeMessage
 * resolves as is (`{errMsg, errCode?, <templateId>: …}`). Both clean to `{results, errMsg?}`;
 * errors name `results` or its keys.
 */
const reportBody = Joi.object({
  results: Joi.object().pattern(TEMPLATE_ID, result).max(MAX_TEMPLATES),
  errMsg: text().max(200),
  errCode: Joi.number().integer(), // sent along by a failed popup
})
  .pattern(TEMPLATE_ID, result)
  .custom((value: Record<string, unknown>, helpers) => {
    const { results, errMsg, errCode: _errCode, ...topLevel } = value;
    const at = { ...helpers.state, path: ['results'] };
    if (results !== undefined && Object.keys(topLevel).length > 0) return helpers.error('object.xor', {}, at);
    const merged = (results ?? topLevel) as Record<string, SubscribeResult>;
    const count = Object.keys(merged).length;
    if (count === 0) return helpers.error('any.required', { label: 'results' }, at);
    if (count > MAX_TEMPLATES)
      return helpers.error('object.max', { label: 'results', limit: MAX_TEMPLATES }, at);
    return { results: merged, errMsg };
  })
  .messages({
    'object.xor': 'send either results or the raw result of wx.requestSubscribeMessage, not both',
  });

export function subscriptionRoutes(deps: {
  subscriptions: SubscriptionService;
  auth: Auth;
}): Router<AppState> {
  const { subscriptions, auth } = deps;
  const router = new Router<AppState>();

  router.post('/api/subscriptions', auth(), validate({ body: reportBody }), async (ctx: AppContext) => {
    const { results, errMsg } = inputOf<{ results: Record<string, SubscribeResult>; errMsg?: string }>(ctx);
    const report = { results: new Map(Object.entries(results)), ...(errMsg !== undefined ? { errMsg } : {}) };
    reply(ctx, await subscriptions.report(sessionOf(ctx).openid, report));
  });

  router.get('/api/subscriptions', auth(), async (ctx: AppContext) => {
    reply(ctx, await subscriptions.view(sessionOf(ctx).openid));
  });

  return router;
}
