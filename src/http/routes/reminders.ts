import Router from '@koa/router';
import Joi from 'joi';
import { REMINDER_STATUSES, type ReminderStatus } from '../../domain/reminder';
import type { ReminderInput, ReminderService } from '../../services/reminder-service';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import { idempotencyKey } from '../idempotency-key';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

const AT_MESSAGE = 'at must be ISO 8601 with an offset (2026-11-21T08:30:00+08:00) or epoch milliseconds';
const at = Joi.alternatives()
  .try(Joi.number().integer().min(0), Joi.string().pattern(ISO_WITH_OFFSET).message(AT_MESSAGE))
  .messages({ 'alternatives.types': AT_MESSAGE, 'alternatives.match': AT_MESSAGE });
const repeat = Joi.object({ daily: Joi.string(), cron: Joi.string() }).xor('daily', 'cron').allow(null);
const data = Joi.object()
  .pattern(/^[a-z_]+\d+$/, Joi.string().max(200))
  .allow(null);

const fields = {
  title: Joi.string().trim().min(1).max(100),
  detail: Joi.string().trim().allow('').max(500),
  at,
  repeat,
  timezone: Joi.string().max(64),
  templateId: Joi.string().max(128),
  page: Joi.string().allow('').max(256),
  data,
};

const createBody = Joi.object({ ...fields, title: fields.title.required() });
const patchBody = Joi.object(fields).min(1);
const idParams = Joi.object({
  id: Joi.string()
    .pattern(/^\d{1,15}$/)
    .required(),
});
const listQuery = Joi.object({
  status: Joi.string().valid(...REMINDER_STATUSES),
  cursor: Joi.string().pattern(/^\d{1,15}$/),
  limit: Joi.number().integer().min(1).max(100).default(20),
  openid: Joi.string().max(64), // the original client sends it; the session decides, always
});

// The original Flask service's create: {title, time, reminderTime (ms), enableSubscribe}.
const legacyCreateBody = Joi.object({
  title: fields.title.required(),
  time: Joi.string().allow('').max(100),
  reminderTime: Joi.number().integer().min(0).required(),
  enableSubscribe: Joi.boolean(),
  openid: Joi.string().max(64), // ignored: the openid comes from the session
});

export function reminderRoutes(deps: { reminders: ReminderService; auth: Auth }): Router<AppState> {
  const { reminders, auth } = deps;
  const router = new Router<AppState>();

  const create = async (ctx: AppContext, input: ReminderInput) => {
    const { reminder, replayed } = await reminders.create(sessionOf(ctx).openid, input, {
      idempotencyKey: idempotencyKey(ctx),
    });
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    reply(ctx, reminder, 201);
  };

  router.post('/api/reminders', auth(), validate({ body: createBody }), (ctx: AppContext) =>
    create(ctx, inputOf<ReminderInput>(ctx)),
  );

  router.get('/api/reminders', auth(), validate({ query: listQuery }), async (ctx: AppContext) => {
    const query = inputOf<{ status?: ReminderStatus; cursor?: string; limit: number }>(ctx);
    reply(ctx, await reminders.list(sessionOf(ctx).openid, query));
  });

  router.get('/api/reminders/:id', auth(), validate({ params: idParams }), async (ctx: AppContext) => {
    reply(ctx, await reminders.get(sessionOf(ctx).openid, inputOf<{ id: string }>(ctx).id));
  });

  const update = async (ctx: AppContext) => {
    const { id, ...patch } = inputOf<Partial<ReminderInput> & { id: string }>(ctx);
    reply(ctx, await reminders.update(sessionOf(ctx).openid, id, patch));
  };
  router.patch('/api/reminders/:id', auth(), validate({ params: idParams, body: patchBody }), update);
  // wx.request cannot send PATCH: the mini-program edits with PUT, same partial semantics.
  router.put('/api/reminders/:id', auth(), validate({ params: idParams, body: patchBody }), update);

  router.delete('/api/reminders/:id', auth(), validate({ params: idParams }), async (ctx: AppContext) => {
    reply(ctx, await reminders.cancel(sessionOf(ctx).openid, inputOf<{ id: string }>(ctx).id));
  });

  // The original service's routes, same semantics as the canonical ones.
  router.post('/api/reminder', auth(), validate({ body: legacyCreateBody }), (ctx: AppContext) => {
    const body = inputOf<{ title: string; time?: string; reminderTime: number }>(ctx);
    return create(ctx, { title: body.title, detail: body.time ?? '', at: body.reminderTime });
  });

  router.delete('/api/reminder/:id', auth(), validate({ params: idParams }), async (ctx: AppContext) => {
    reply(ctx, await reminders.cancel(sessionOf(ctx).openid, inputOf<{ id: string }>(ctx).id));
  });

  return router;
}
