import Router from '@koa/router';
import Joi from 'joi';
import type { ReminderKind } from '../../domain/reminder';
import type { ReminderService } from '../../services/reminder-service';
import { draftOf, reply, sessionOf, shapeOf, type AppContext, type AppState } from '../context';
import { idempotencyOf } from '../idempotency-key';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { text, timezone } from '../schemas';

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
  cid: Joi.alternatives().try(text().max(64), Joi.number().integer()).required(),
  hour: Joi.number().integer().min(0).max(23).required(),
  min: Joi.number().integer().min(0).max(59).required(),
  detail: text().multiline().trim().allow('').max(500).default(''),
  timezone: timezone(),
});
// The promise's fields in the reminder service's terms, for problems found on either side.
const PROMISE_FIELDS = { hour: 'repeat', min: 'repeat' };

/** `POST /api/promises/:type`: a give/ask promise is a daily reminder at hour:min. */
export function promiseRoutes(deps: { reminders: ReminderService; auth: Auth }): Router<AppState> {
  const router = new Router<AppState>();
  const checked = validate({ params, body }, { collect: true });
  router.post('/api/promises/:type', deps.auth(), checked, async (ctx: AppContext) => {
    const draft = draftOf<{
      type: string;
      cid: string | number;
      hour: number;
      min: number;
      detail: string;
      timezone?: string;
    }>(ctx);
    const input = draft.input;
    const kind = KINDS[input.type ?? ''] ?? 'give';
    // Without a valid hour and min there is no daily time: the service is told repeat is invalid.
    const daily =
      input.hour !== undefined && input.min !== undefined
        ? `${String(input.hour).padStart(2, '0')}:${String(input.min).padStart(2, '0')}`
        : '00:00';
    const idempotency = idempotencyOf(ctx, draft);
    const { reminder, replayed } = await deps.reminders.create(
      sessionOf(ctx).openid,
      { title: TITLES[kind], detail: input.detail ?? '', repeat: { daily }, timezone: input.timezone },
      { kind, cid: String(input.cid ?? ''), idempotency, shape: shapeOf(draft, PROMISE_FIELDS) },
    );
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    reply(ctx, reminder, 201);
  });
  return router;
}
