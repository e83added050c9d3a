import Router from '@koa/router';
import Joi from 'joi';
import type { ReminderKind } from '../../domain/reminder';
import type { ReminderService } from '../../services/reminder-service';
import { draftOf, reply, sessionOf, shapeOf, type AppContext, type AppState } from '../context';
import { idempotencyOf } from '../idempotency-key';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentPromise } from '../presenters/promise';
import { required, text, timezone, typedObject, withDefault } from '../schemas';

// The original client sends 0 for "give" and 1 for "ask".
const KINDS = {
  give: 'give',
  ask: 'ask',
  '0': 'give',
  '1': 'ask',
} as const satisfies Record<string, Exclude<ReminderKind, 'reminder'>>;
type KindName = keyof typeof KINDS;
const KIND_NAMES = Object.keys(KINDS).filter((name): name is KindName => name in KINDS);
const TITLES = { give: '兑现我的承诺', ask: '提醒对方兑现承诺' } as const;

interface PromiseParams {
  type: KindName;
}

interface PromiseBody {
  cid: string | number; // the client's counterpart id, echoed back as a string
  hour: number;
  min: number;
  detail: string;
  timezone?: string;
}

const params = typedObject<PromiseParams>({
  type: required(Joi.string<KindName>().valid(...KIND_NAMES)),
});
const body = typedObject<PromiseBody>({
  cid: required(Joi.alternatives().try(text().max(64), Joi.number().integer())),
  hour: required(Joi.number().integer().min(0).max(23)),
  min: required(Joi.number().integer().min(0).max(59)),
  detail: withDefault(text().multiline().trim().allow('').max(500), ''),
  timezone: timezone(),
});
// The promise's fields in the reminder service's terms, for problems found on either side.
const PROMISE_FIELDS = { hour: 'repeat', min: 'repeat' };

/** `POST /api/promises/:type`: a give/ask promise is a daily reminder at hour:min. */
export function promiseRoutes(deps: { reminders: ReminderService; auth: Auth }): Router<AppState> {
  const router = new Router<AppState>();
  const checked = validate({ params, body }, { collect: true });
  router.post('/api/promises/:type', deps.auth(), checked, async (ctx: AppContext) => {
    const draft = draftOf(ctx, checked);
    const { input } = draft;
    const kind = KINDS[draft.params.type];
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
    reply(ctx, presentPromise(reminder), 201);
  });
  return router;
}
