import Router from '@koa/router';
import Joi from 'joi';
import type { CustomerService } from '../../services/customer-service';
import { inputOf, reply, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentAgentReply, presentConversation, presentConversationPage } from '../presenters/conversation';
import { required, typedObject, withDefault } from '../schemas';
import { agentMessage } from './bot-admin';

interface ListQuery {
  cursor?: string; // nextCursor of the previous page: `<lastActivity ms>:<openid>`
  limit: number;
}

interface OpenidParams {
  openid: string;
}

const openid = Joi.string().pattern(/^[A-Za-z0-9_-]{1,64}$/, 'an openid');
const listQuery = typedObject<ListQuery>({
  cursor: Joi.string().pattern(/^\d{1,15}:[A-Za-z0-9_-]{1,64}$/, 'a nextCursor'),
  limit: withDefault(Joi.number().integer().min(1).max(100), 20),
});
const openidParams = typedObject<OpenidParams>({ openid: required(openid) });

/**
 * The agents' side of customer service (docs/architecture.md#customer-service): conversations by last activity, one
 * conversation with the bot's and agents' answers, and an agent's reply while the user's window is
 * open (409 after). Admin token for now; the console issue adds roles.
 */
export function conversationRoutes(deps: {
  customerService: Pick<CustomerService, 'list' | 'conversation' | 'reply'>;
  auth: Auth;
}): Router<AppState> {
  const { customerService, auth } = deps;
  const router = new Router<AppState>();

  const list = validate({ query: listQuery });
  router.get('/api/admin/conversations', auth({ level: 'admin' }), list, async (ctx: AppContext) => {
    const { cursor, limit } = inputOf(ctx, list).query;
    reply(ctx, presentConversationPage(await customerService.list(cursor, limit)));
  });

  const one = validate({ params: openidParams });
  router.get('/api/admin/conversations/:openid', auth({ level: 'admin' }), one, async (ctx: AppContext) => {
    reply(ctx, presentConversation(await customerService.conversation(inputOf(ctx, one).params.openid)));
  });

  const send = validate({ params: openidParams, body: agentMessage });
  router.post(
    '/api/admin/conversations/:openid/messages',
    auth({ level: 'admin' }),
    send,
    async (ctx: AppContext) => {
      const { params, body } = inputOf(ctx, send);
      reply(ctx, presentAgentReply(await customerService.reply(params.openid, body)), 201);
    },
  );

  return router;
}
