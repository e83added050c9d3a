import Router from '@koa/router';
import Joi from 'joi';
import type { NoticeInbox } from '../../services/notice-inbox';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentInbox, presentUnreadCount } from '../presenters/notice';
import { text, typedObject, withDefault } from '../schemas';

interface InboxQuery {
  unread?: boolean; // true: only unread notices
  category?: string;
  cursor?: string; // the previous page's nextCursor
  limit: number;
}
interface CountQuery {
  category?: string;
}

const category = text().trim().min(1).max(20);
const inboxQuery = typedObject<InboxQuery>({
  unread: Joi.boolean(),
  category,
  cursor: Joi.string().pattern(/^\d{13}:\d{15}$/, 'a nextCursor of this list'),
  limit: withDefault(Joi.number().integer().min(1).max(100), 20),
});
const countQuery = typedObject<CountQuery>({ category });

/** A user's inbox of notices (docs/architecture.md#notices-to-groups): newest first with their state, and the unread count. */
export function inboxRoutes(deps: { inbox: NoticeInbox; auth: Auth }): Router<AppState> {
  const { inbox, auth } = deps;
  const router = new Router<AppState>();

  const list = validate({ query: inboxQuery });
  router.get('/api/inbox', auth(), list, async (ctx: AppContext) => {
    const { query } = inputOf(ctx, list);
    reply(ctx, presentInbox(await inbox.list(sessionOf(ctx).openid, query)));
  });

  const counting = validate({ query: countQuery });
  router.get('/api/inbox/unread-count', auth(), counting, async (ctx: AppContext) => {
    const { category: named } = inputOf(ctx, counting).query;
    reply(ctx, presentUnreadCount(await inbox.unreadCount(sessionOf(ctx).openid, named)));
  });

  return router;
}
