import Router from '@koa/router';
import Joi from 'joi';
import { COMMENT_LIMITS } from '../../domain/comment';
import { commentRateLimited } from '../../errors';
import type { CommentReader, PageQuery } from '../../services/comment-reader';
import type { CommentService } from '../../services/comment-service';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import {
  presentComment,
  presentCommentDeleted,
  presentComments,
  presentCreatedComment,
  presentThreads,
} from '../presenters/comment';
import { required, text, typedObject, withDefault } from '../schemas';
import type { Next } from 'koa';

interface NoticeParams {
  id: string;
}
interface CommentParams {
  id: string;
  commentId: string;
}
interface CommentBody {
  text: string;
  private: boolean;
}
interface ReplyBody {
  text: string;
}
interface ListQuery extends PageQuery {
  limit: number;
}
type Empty = Record<string, never>;

const id = Joi.string().pattern(/^\d{1,15}$/, 'an id');
const commentText = text().multiline().trim().min(1).max(COMMENT_LIMITS.textLength);
const noticeParams = typedObject<NoticeParams>({ id: required(id) });
const commentParams = typedObject<CommentParams>({ id: required(id), commentId: required(id) });
const commentBody = typedObject<CommentBody>({
  text: required(commentText),
  private: withDefault(Joi.boolean(), false),
});
const replyBody = typedObject<ReplyBody>({ text: required(commentText) });
const pageQuery = typedObject<ListQuery>({
  cursor: Joi.string().pattern(/^\d{1,15}$/, 'a nextCursor of this list'),
  limit: withDefault(Joi.number().integer().min(1).max(COMMENT_LIMITS.pageSizeMax), COMMENT_LIMITS.pageSize),
});
const emptyBody = typedObject<Empty>({});

/**
 * Comments on a notice (README.md#comments-and-questions): comment or ask (a private question),
 * reply, list (newest first, replies oldest first), delete (own, or any as a manager), and the
 * managers' review queue with its approve.
 */
export function commentRoutes(deps: {
  comments: CommentService;
  reader: CommentReader;
  auth: Auth;
}): Router<AppState> {
  const { comments, reader, auth } = deps;
  const router = new Router<AppState>();

  // Every comment and reply a person posts counts, refused ones too: each may cost a content check.
  const limited = async function commentRateLimit(ctx: AppContext, next: Next) {
    const waitMs = await comments.admit(sessionOf(ctx).openid);
    if (waitMs !== null) {
      const seconds = Math.ceil(waitMs / 1000);
      ctx.set('Retry-After', String(seconds));
      throw commentRateLimited(COMMENT_LIMITS.perMinute, seconds);
    }
    await next();
  };

  const create = validate({ params: noticeParams, body: commentBody });
  router.post('/api/notices/:id/comments', auth(), limited, create, async (ctx: AppContext) => {
    const { params, body } = inputOf(ctx, create);
    reply(ctx, presentCreatedComment(await comments.create(sessionOf(ctx).openid, params.id, body)), 201);
  });

  const list = validate({ params: noticeParams, query: pageQuery });
  router.get('/api/notices/:id/comments', auth(), list, async (ctx: AppContext) => {
    const { params, query } = inputOf(ctx, list);
    reply(ctx, presentThreads(await reader.list(sessionOf(ctx).openid, params.id, query)));
  });

  // Before /comments/:commentId routes of the same method: `pending` is no comment id.
  router.get('/api/notices/:id/comments/pending', auth(), list, async (ctx: AppContext) => {
    const { params, query } = inputOf(ctx, list);
    reply(ctx, presentComments(await reader.pending(sessionOf(ctx).openid, params.id, query)));
  });

  const answering = validate({ params: commentParams, body: replyBody });
  router.post(
    '/api/notices/:id/comments/:commentId/replies',
    auth(),
    limited,
    answering,
    async (ctx: AppContext) => {
      const { params, body } = inputOf(ctx, answering);
      const { openid } = sessionOf(ctx);
      reply(ctx, presentCreatedComment(await comments.reply(openid, params.id, params.commentId, body)), 201);
    },
  );

  const replies = validate({ params: commentParams, query: pageQuery });
  router.get('/api/notices/:id/comments/:commentId/replies', auth(), replies, async (ctx: AppContext) => {
    const { params, query } = inputOf(ctx, replies);
    const page = await reader.replies(sessionOf(ctx).openid, params.id, params.commentId, query);
    reply(ctx, presentComments(page));
  });

  const one = validate({ params: commentParams });
  router.delete('/api/notices/:id/comments/:commentId', auth(), one, async (ctx: AppContext) => {
    const { params } = inputOf(ctx, one);
    reply(
      ctx,
      presentCommentDeleted(await comments.remove(sessionOf(ctx).openid, params.id, params.commentId)),
    );
  });

  const approving = validate({ params: commentParams, body: emptyBody });
  router.post('/api/notices/:id/comments/:commentId/approve', auth(), approving, async (ctx: AppContext) => {
    const { params } = inputOf(ctx, approving);
    reply(ctx, presentComment(await comments.approve(sessionOf(ctx).openid, params.id, params.commentId)));
  });

  return router;
}
