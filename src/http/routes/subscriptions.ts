import Router from '@koa/router';
import Joi from 'joi';
import type { SubscribeResult, SubscriptionService } from '../../services/subscription-service';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentQuota, presentReport } from '../presenters/subscription';
import { text, typedCustom, typedObject } from '../schemas';

const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,64}$/;
// One popup shows at most 3 templates; 10 leaves room for a client that batches a few popups.
const MAX_TEMPLATES = 10;
const RESULTS: readonly SubscribeResult[] = ['accept', 'reject', 'ban', 'filter'];
const result = Joi.string().valid(...RESULTS);

/** The body as sent; the object wx.requestSubscribeMessage resolves also has `<templateId>: result` keys. */
interface ReportSent {
  results?: Record<string, SubscribeResult>;
  errMsg?: string;
  errCode?: number; // sent along by a failed popup
}

/** The body cleaned: the results per template, whichever way they were sent. */
interface ReportBody {
  results: Record<string, SubscribeResult>;
  errMsg?: string;
}

const SENT_KEYS: ReadonlySet<string> = new Set(['results', 'errMsg', 'errCode']);

function isResult(value: unknown): value is SubscribeResult {
  return RESULTS.some((r) => r === value);
}

/**
 * `{results: {<templateId>: "accept"|…}, errMsg?}`, or the object wx.requestSubscribeMessage
 * resolves as is (`{errMsg, errCode?, <templateId>: …}`). Both clean to `{results, errMsg?}`;
 * errors name `results` or its keys.
 */
const reportBody = typedCustom(
  typedObject<ReportSent>({
    results: Joi.object().pattern(TEMPLATE_ID, result).max(MAX_TEMPLATES),
    errMsg: text().max(200),
    errCode: Joi.number().integer(),
  }).pattern(TEMPLATE_ID, result),
  (value, helpers): ReportBody | Joi.ErrorReport => {
    const { results, errMsg } = value;
    // fromEntries, not assignment: a template id such as `__proto__` stays an own key.
    const topLevel = Object.fromEntries(
      Object.entries(value).filter(
        (entry): entry is [string, SubscribeResult] => !SENT_KEYS.has(entry[0]) && isResult(entry[1]),
      ),
    );
    const at = { ...helpers.state, path: ['results'] };
    if (results !== undefined && Object.keys(topLevel).length > 0) return helpers.error('object.xor', {}, at);
    const merged = results ?? topLevel;
    const count = Object.keys(merged).length;
    if (count === 0) return helpers.error('any.required', { label: 'results' }, at);
    if (count > MAX_TEMPLATES)
      return helpers.error('object.max', { label: 'results', limit: MAX_TEMPLATES }, at);
    return { results: merged, errMsg };
  },
).messages({
  'object.xor': 'send either results or the raw result of wx.requestSubscribeMessage, not both',
});

export function subscriptionRoutes(deps: {
  subscriptions: SubscriptionService;
  auth: Auth;
}): Router<AppState> {
  const { subscriptions, auth } = deps;
  const router = new Router<AppState>();

  const checked = validate({ body: reportBody });
  router.post('/api/subscriptions', auth(), checked, async (ctx: AppContext) => {
    const { results, errMsg } = inputOf(ctx, checked).body;
    const report = { results: new Map(Object.entries(results)), ...(errMsg !== undefined ? { errMsg } : {}) };
    reply(ctx, presentReport(await subscriptions.report(sessionOf(ctx).openid, report)));
  });

  router.get('/api/subscriptions', auth(), async (ctx: AppContext) => {
    reply(ctx, presentQuota(await subscriptions.view(sessionOf(ctx).openid)));
  });

  return router;
}
