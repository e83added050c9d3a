import Router from '@koa/router';
import Joi from 'joi';
import { REMINDER_STATUSES, type ReminderStatus } from '../../domain/reminder';
import type { CreateOptions, ReminderInput, ReminderService } from '../../services/reminder-service';
import { draftOf, inputOf, reply, sessionOf, shapeOf, type AppContext, type AppState } from '../context';
import { idempotencyOf } from '../idempotency-key';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { at, text, timezone } from '../schemas';

const repeat = Joi.object({ daily: text().max(16), cron: text().max(128) })
  .xor('daily', 'cron')
  .allow(null);
const data = Joi.object()
  .pattern(/^[a-z_]+\d+$/, text().max(200))
  .allow(null);

const fields = {
  title: text().trim().min(1).max(100),
  detail: text().multiline().trim().allow('').max(500),
  at: at(),
  repeat,
  timezone: timezone(),
  templateId: text().max(128),
  page: text().allow('').max(256),
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
  openid: text().max(64), // the original client sends it; the session decides, always
});

// The original Flask service's create: {title, time, reminderTime (ms), enableSubscribe}.
const legacyCreateBody = Joi.object({
  title: fields.title.required(),
  time: text().allow('').max(100),
  reminderTime: Joi.number().integer().min(0).required(),
  enableSubscribe: Joi.boolean(),
  openid: text().max(64), // ignored: the openid comes from the session
});
// The legacy body's names for the canonical fields, so its 400s name what the client sent.
const LEGACY_FIELDS = { reminderTime: 'at', time: 'detail' };

export function reminderRoutes(deps: { reminders: ReminderService; auth: Auth }): Router<AppState> {
  const { reminders, auth } = deps;
  const router = new Router<AppState>();

  const create = async (ctx: AppContext, input: ReminderInput, options: CreateOptions) => {
    const { reminder, replayed } = await reminders.create(sessionOf(ctx).openid, input, options);
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    reply(ctx, reminder, 201);
  };

  // Shape problems are collected, not thrown: the service adds its schedule and template
  // problems, and one 400 names them all. A title missing from the draft is among them.
  router.post(
    '/api/reminders',
    auth(),
    validate({ body: createBody }, { collect: true }),
    (ctx: AppContext) => {
      const draft = draftOf<ReminderInput>(ctx);
      const idempotency = idempotencyOf(ctx, draft);
      return create(ctx, draft.input as ReminderInput, { idempotency, shape: shapeOf(draft) });
    },
  );

  router.get('/api/reminders', auth(), validate({ query: listQuery }), async (ctx: AppContext) => {
    const query = inputOf<{ status?: ReminderStatus; cursor?: string; limit: number }>(ctx);
    reply(ctx, await reminders.list(sessionOf(ctx).openid, query));
  });

  router.get('/api/reminders/:id', auth(), validate({ params: idParams }), async (ctx: AppContext) => {
    reply(ctx, await reminders.get(sessionOf(ctx).openid, inputOf<{ id: string }>(ctx).id));
  });

  const update = async (ctx: AppContext) => {
    const draft = draftOf<Partial<ReminderInput> & { id: string }>(ctx);
    const { id, ...patch } = draft.input;
    reply(ctx, await reminders.update(sessionOf(ctx).openid, id ?? '', patch, shapeOf(draft)));
  };
  const editing = validate({ params: idParams, body: patchBody }, { collect: true });
  router.patch('/api/reminders/:id', auth(), editing, update);
  // wx.request cannot send PATCH: the mini-program edits with PUT, same partial semantics.
  router.put('/api/reminders/:id', auth(), editing, update);

  router.delete('/api/reminders/:id', auth(), validate({ params: idParams }), async (ctx: AppContext) => {
    reply(ctx, await reminders.cancel(sessionOf(ctx).openid, inputOf<{ id: string }>(ctx).id));
  });

  // The original service's routes, same semantics as the canonical ones.
  router.post(
    '/api/reminder',
    auth(),
    validate({ body: legacyCreateBody }, { collect: true }),
    (ctx: AppContext) => {
      const draft = draftOf<{ title: string; time?: string; reminderTime: number }>(ctx);
      const { title, time, reminderTime } = draft.input;
      const idempotency = idempotencyOf(ctx, draft);
      const input = { title, detail: time ?? '', at: reminderTime } as ReminderInput;
      return create(ctx, input, { idempotency, shape: shapeOf(draft, LEGACY_FIELDS) });
    },
  );

  router.delete('/api/reminder/:id', auth(), validate({ params: idParams }), async (ctx: AppContext) => {
    reply(ctx, await reminders.cancel(sessionOf(ctx).openid, inputOf<{ id: string }>(ctx).id));
  });

  return router;
}
