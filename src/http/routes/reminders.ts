import Router from '@koa/router';
import Joi from 'joi';
import { REMINDER_STATUSES, type ReminderStatus } from '../../domain/reminder';
import type { ReminderLifecycle } from '../../services/reminder-lifecycle';
import type { CreateOptions, ReminderInput, ReminderService } from '../../services/reminder-service';
import { draftOf, inputOf, reply, sessionOf, shapeOf, type AppContext, type AppState } from '../context';
import { idempotencyOf } from '../idempotency-key';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import {
  presentCreatedReminder,
  presentReminder,
  presentReminderDetail,
  presentReminderPage,
} from '../presenters/reminder';
import { at, required, text, timezone, typedObject, withDefault } from '../schemas';

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

/** A create's body is the service's input; an edit's is any non-empty part of it. */
type CreateBody = ReminderInput;
type PatchBody = Partial<ReminderInput>;

interface IdParams {
  id: string;
}

interface ListQuery {
  status?: ReminderStatus;
  cursor?: string; // the last id of the previous page
  limit: number;
  openid?: string; // the original client sends it; the session decides, always
}

/** The original Flask service's create: {title, time, reminderTime (ms), enableSubscribe}. */
interface LegacyCreateBody {
  title: string;
  time?: string; // free text, kept as the detail
  reminderTime: number; // epoch ms
  enableSubscribe?: boolean;
  openid?: string; // ignored: the openid comes from the session
}

const createBody = typedObject<CreateBody>({ ...fields, title: required(fields.title) });
const patchBody = typedObject<PatchBody>(fields).min(1);
const idParams = typedObject<IdParams>({
  id: required(Joi.string().pattern(/^\d{1,15}$/)),
});
const listQuery = typedObject<ListQuery>({
  status: Joi.string<ReminderStatus>().valid(...REMINDER_STATUSES),
  cursor: Joi.string().pattern(/^\d{1,15}$/),
  limit: withDefault(Joi.number().integer().min(1).max(100), 20),
  openid: text().max(64),
});
const legacyCreateBody = typedObject<LegacyCreateBody>({
  title: required(fields.title),
  time: text().allow('').max(100),
  reminderTime: required(Joi.number().integer().min(0)),
  enableSubscribe: Joi.boolean(),
  openid: text().max(64),
});
/** `POST /api/reminders/:id/snooze`: one extra occurrence this many minutes from now. */
interface SnoozeBody {
  minutes: number; // 5–1440
}
const snoozeBody = typedObject<SnoozeBody>({
  minutes: required(Joi.number().integer().min(5).max(1440)),
});

// The legacy body's names for the canonical fields, so its 400s name what the client sent.
const LEGACY_FIELDS = { reminderTime: 'at', time: 'detail' };

export function reminderRoutes(deps: {
  reminders: ReminderService;
  lifecycle: ReminderLifecycle;
  auth: Auth;
}): Router<AppState> {
  const { reminders, lifecycle, auth } = deps;
  const router = new Router<AppState>();

  const create = async (
    ctx: AppContext,
    input: Partial<ReminderInput>,
    options: CreateOptions & Required<Pick<CreateOptions, 'shape'>>,
  ) => {
    const { reminder, replayed, quota } = await reminders.create(sessionOf(ctx).openid, input, options);
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    reply(ctx, presentCreatedReminder(reminder, quota), 201);
  };

  // Shape problems are collected, not thrown: the service adds its schedule and template
  // problems, and one 400 names them all. A title missing from the draft is among them.
  const creating = validate({ body: createBody }, { collect: true });
  router.post('/api/reminders', auth(), creating, (ctx: AppContext) => {
    const draft = draftOf(ctx, creating);
    const idempotency = idempotencyOf(ctx, draft);
    return create(ctx, draft.input, { idempotency, shape: shapeOf(draft) });
  });

  const listing = validate({ query: listQuery });
  router.get('/api/reminders', auth(), listing, async (ctx: AppContext) => {
    const { status, cursor, limit } = inputOf(ctx, listing).query;
    const page = await reminders.list(sessionOf(ctx).openid, { status, cursor, limit });
    reply(ctx, presentReminderPage(page));
  });

  const byId = validate({ params: idParams });
  router.get('/api/reminders/:id', auth(), byId, async (ctx: AppContext) => {
    const { reminder, deliveries } = await reminders.get(sessionOf(ctx).openid, inputOf(ctx, byId).params.id);
    reply(ctx, presentReminderDetail(reminder, deliveries));
  });

  const editing = validate({ params: idParams, body: patchBody }, { collect: true });
  const update = async (ctx: AppContext) => {
    const draft = draftOf(ctx, editing);
    const edited = await reminders.update(
      sessionOf(ctx).openid,
      draft.params.id,
      draft.input,
      shapeOf(draft),
    );
    reply(ctx, presentReminder(edited));
  };
  router.patch('/api/reminders/:id', auth(), editing, update);
  // wx.request cannot send PATCH: the mini-program edits with PUT, same partial semantics.
  router.put('/api/reminders/:id', auth(), editing, update);

  const cancel = async (ctx: AppContext) => {
    reply(ctx, presentReminder(await reminders.cancel(sessionOf(ctx).openid, inputOf(ctx, byId).params.id)));
  };
  router.delete('/api/reminders/:id', auth(), byId, cancel);

  // The lifecycle (src/services/reminder-lifecycle.ts): done, and snooze.
  router.post('/api/reminders/:id/done', auth(), byId, async (ctx: AppContext) => {
    const done = await lifecycle.markDone(sessionOf(ctx).openid, inputOf(ctx, byId).params.id);
    reply(ctx, presentReminder(done));
  });

  const snoozing = validate({ params: idParams, body: snoozeBody });
  router.post('/api/reminders/:id/snooze', auth(), snoozing, async (ctx: AppContext) => {
    const { params, body } = inputOf(ctx, snoozing);
    reply(ctx, presentReminder(await lifecycle.snooze(sessionOf(ctx).openid, params.id, body.minutes)));
  });

  // The original service's routes, same semantics as the canonical ones.
  const legacyCreating = validate({ body: legacyCreateBody }, { collect: true });
  router.post('/api/reminder', auth(), legacyCreating, (ctx: AppContext) => {
    const draft = draftOf(ctx, legacyCreating);
    const { title, time, reminderTime } = draft.input;
    const idempotency = idempotencyOf(ctx, draft);
    const input = { title, detail: time ?? '', at: reminderTime };
    return create(ctx, input, { idempotency, shape: shapeOf(draft, LEGACY_FIELDS) });
  });

  router.delete('/api/reminder/:id', auth(), byId, cancel);

  return router;
}
