import Router from '@koa/router';
import Joi from 'joi';
import type { ReminderKind } from '../../domain/reminder';
import type { ReminderService } from '../../services/reminder-service';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import { idempotencyKey } from '../idempotency-key';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';

// The original client sends 0 for "give" and 1 for "ask".
const KINDS: Record<string, Exclude<ReminderKind, 'reminder'>> = {
  give: 'give',
  ask: 'ask',
  '0': 'give',
  '1': 'ask',
};
const TITLES = { give: '兑现我的承诺', ask: '提醒对方兑现承诺' } as const;

const params = Joi.object({
  type: Joi.string()
    .valid(...Object.keys(KINDS))
    .required(),
});
const body = Joi.object({
  cid: Joi.alternatives().try(Joi.string().max(64), Joi.number().integer()).required(),
  hour: Joi.number().integer().min(0).max(23).required(),
  min: Joi.number().integer().min(0).max(59).required(),
  detail: Joi.string().trim().allow('').max(500).default(''),
  timezone: Joi.string().max(64),
});

/** `POST /api/promises/:type`: a give/ask promise is a daily reminder at hour:min. */
export function promiseRoutes(deps: { reminders: ReminderService; auth: Auth }): Router<AppState> {
  const router = new Router<AppState>();
  router.post('/api/promises/:type', deps.auth(), validate({ params, body }), async (ctx: AppContext) => {
    const input = inputOf<{
      type: string;
      cid: string | number;
      hour: number;
      min: number;
      detail: string;
      timezone?: string;
    }>(ctx);
    const kind = KINDS[input.type] ?? 'give';
    const daily = `${String(input.hour).padStart(2, '0')}:${String(input.min).padStart(2, '0')}`;
    const { reminder, replayed } = await deps.reminders.create(
      sessionOf(ctx).openid,
      { title: TITLES[kind], detail: input.detail, repeat: { daily }, timezone: input.timezone },
      { kind, cid: String(input.cid), idempotencyKey: idempotencyKey(ctx) },
    );
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    reply(ctx, reminder, 201);
  });
  return router;
}
