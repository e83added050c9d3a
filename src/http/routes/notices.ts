import Router from '@koa/router';
import Joi from 'joi';
import { PUSH_STATES, URGENCIES, type Attachment, type Urgency } from '../../domain/notice';
import { noticeRemindTooSoon } from '../../errors';
import type { NoticeInbox } from '../../services/notice-inbox';
import type { NoticeInput } from '../../services/notice-rules';
import type { NoticeService } from '../../services/notice-service';
import type { NoticeStatsService, RecipientFilter } from '../../services/notice-stats';
import { draftOf, inputOf, reply, sessionOf, shapeOf, type AppContext, type AppState } from '../context';
import { idempotencyOf } from '../idempotency-key';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentNotice, presentNoticeStats, presentRecipients, presentRemind } from '../presenters/notice';
import { at, required, text, typedObject, withDefault } from '../schemas';

const id = Joi.string().pattern(/^\d{1,15}$/, 'an id');
const attachment = Joi.object<Attachment>({
  name: text().trim().min(1).max(100).required(),
  url: text()
    .max(1000)
    .uri({ scheme: ['https'] })
    .required(),
});
const audience = Joi.object<NoticeInput['audience']>({
  groups: Joi.array().items(id).min(1).max(20).unique().required(),
  tags: Joi.array().items(text().trim().min(1).max(20)).max(20),
  // `<groupId>:<memberId>`, or a bare memberId when the audience has one group
  members: Joi.array()
    .items(Joi.string().pattern(/^(\d{1,15}:)?\d{1,15}$/, 'a memberId or <groupId>:<memberId>'))
    .max(500),
});
const fields = {
  title: text().trim().min(1).max(100),
  body: text().multiline().allow('').max(5000),
  category: text().trim().min(1).max(20),
  urgency: Joi.string<Urgency>().valid(...URGENCIES),
  audience,
  attachments: Joi.alternatives().try(Joi.array().items(attachment).max(10)),
  requireConfirm: Joi.boolean(),
  publishAt: at(),
};

/** `POST /api/notices`: the service's input, with its defaults. */
type CreateBody = Omit<NoticeInput, 'attachments'> & { attachments?: Attachment[] };
type PatchBody = Partial<NoticeInput>;
interface IdParams {
  id: string;
}
interface RecipientsQuery {
  state?: RecipientFilter;
  cursor?: string; // the index to go on from (the previous page's nextCursor)
  limit: number;
}
type Empty = Record<string, never>;

const RECIPIENT_FILTERS: RecipientFilter[] = ['unread', 'read', 'confirmed', ...PUSH_STATES];

const createBody = typedObject<CreateBody>({
  ...fields,
  title: required(fields.title),
  body: withDefault(fields.body, ''),
  category: required(fields.category),
  urgency: withDefault(fields.urgency, 'normal'),
  audience: required(audience),
  requireConfirm: withDefault(fields.requireConfirm, false),
});
const patchBody = typedObject<PatchBody>(fields).min(1);
const idParams = typedObject<IdParams>({ id: required(id) });
const recipientsQuery = typedObject<RecipientsQuery>({
  state: Joi.string<RecipientFilter>().valid(...RECIPIENT_FILTERS),
  cursor: Joi.string().pattern(/^\d{1,9}$/),
  limit: withDefault(Joi.number().integer().min(1).max(200), 50),
});
const emptyBody = typedObject<Empty>({});

/**
 * Notices (docs/architecture.md#notices-to-groups): create, read, edit (PATCH, or PUT for wx.request), cancel or retract, stats,
 * recipients by state, remind, and a recipient's read and confirm. The inbox is ./inbox.ts.
 */
export function noticeRoutes(deps: {
  notices: NoticeService;
  inbox: NoticeInbox;
  stats: NoticeStatsService;
  auth: Auth;
}): Router<AppState> {
  const { notices, inbox, stats, auth } = deps;
  const router = new Router<AppState>();

  const create = validate({ body: createBody }, { collect: true });
  router.post('/api/notices', auth(), create, async (ctx: AppContext) => {
    const draft = draftOf(ctx, create);
    const idempotency = idempotencyOf(ctx, draft);
    const { openid } = sessionOf(ctx);
    const { access, replayed } = await notices.create(openid, draft.input, {
      shape: shapeOf(draft),
      idempotency,
    });
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    reply(ctx, presentNotice(access), 201);
  });

  const byId = validate({ params: idParams });
  router.get('/api/notices/:id', auth(), byId, async (ctx: AppContext) => {
    reply(ctx, presentNotice(await notices.view(sessionOf(ctx).openid, inputOf(ctx, byId).params.id)));
  });

  const editing = validate({ params: idParams, body: patchBody }, { collect: true });
  const update = async (ctx: AppContext) => {
    const draft = draftOf(ctx, editing);
    reply(
      ctx,
      presentNotice(
        await notices.update(sessionOf(ctx).openid, draft.params.id, draft.input, shapeOf(draft)),
      ),
    );
  };
  router.patch('/api/notices/:id', auth(), editing, update);
  // wx.request cannot send PATCH: the mini-program edits with PUT, same partial semantics.
  router.put('/api/notices/:id', auth(), editing, update);

  router.delete('/api/notices/:id', auth(), byId, async (ctx: AppContext) => {
    reply(ctx, presentNotice(await notices.remove(sessionOf(ctx).openid, inputOf(ctx, byId).params.id)));
  });

  router.get('/api/notices/:id/stats', auth(), byId, async (ctx: AppContext) => {
    reply(ctx, presentNoticeStats(await stats.stats(sessionOf(ctx).openid, inputOf(ctx, byId).params.id)));
  });

  const listing = validate({ params: idParams, query: recipientsQuery });
  router.get('/api/notices/:id/recipients', auth(), listing, async (ctx: AppContext) => {
    const { params, query } = inputOf(ctx, listing);
    const page = await stats.recipients(sessionOf(ctx).openid, params.id, {
      ...(query.state ? { state: query.state } : {}),
      ...(query.cursor ? { cursor: Number(query.cursor) } : {}),
      limit: query.limit,
    });
    reply(ctx, presentRecipients(page));
  });

  const action = validate({ params: idParams, body: emptyBody });
  router.post('/api/notices/:id/remind', auth(), action, async (ctx: AppContext) => {
    const result = await stats.remind(sessionOf(ctx).openid, inputOf(ctx, action).params.id);
    if ('waitMs' in result) {
      const seconds = Math.ceil(result.waitMs / 1000);
      ctx.set('Retry-After', String(seconds));
      throw noticeRemindTooSoon(seconds);
    }
    reply(ctx, presentRemind(result));
  });

  router.post('/api/notices/:id/read', auth(), action, async (ctx: AppContext) => {
    reply(ctx, presentNotice(await inbox.read(sessionOf(ctx).openid, inputOf(ctx, action).params.id)));
  });

  router.post('/api/notices/:id/confirm', auth(), action, async (ctx: AppContext) => {
    reply(ctx, presentNotice(await inbox.confirm(sessionOf(ctx).openid, inputOf(ctx, action).params.id)));
  });

  return router;
}
