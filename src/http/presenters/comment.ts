import { COMMENT_REPLY_TEMPLATE_ID } from '../../domain/comment';
import type { Page, ThreadEntry } from '../../services/comment-reader';
import type { CommentEntry } from '../../services/comment-service';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A comment or a reply as a reader of the notice sees it: no openid, ISO times. */
export interface CommentView {
  id: string;
  noticeId: string;
  parentId: string | null; // a reply: the comment whose thread it is in
  replyTo: string | null; // a reply: the comment or reply it answers
  author: { name: string; role: 'manager' | 'member' }; // name: their display name in the group ('' if none)
  private: boolean; // a question: seen only by its author and the notice's managers
  status: 'visible' | 'pending_review'; // pending_review: seen only by its author and the managers
  text: string;
  mine: boolean;
  canDelete: boolean; // its author, or a manager
  createdAt: string;
  approvedAt: string | null;
}

/** A comment on `GET /api/notices/:id/comments`, with its first replies. */
export interface CommentThreadView extends CommentView {
  replies: CommentView[]; // oldest first
  moreReplies: boolean; // GET …/comments/:commentId/replies?cursor=<last reply's id> for the rest
}

export interface CommentPageView<T = CommentThreadView> {
  items: T[];
  nextCursor: string | null; // pass back as `cursor`; null on the last page
}

/** What a create answers: the comment, and the template a reply to it would be pushed with. */
export interface CreatedCommentView extends CommentView {
  replyTemplateId: string; // ask wx.requestSubscribeMessage for it to be told of answers
}

export interface CommentDeletedView {
  id: string;
  deleted: true;
  replies: number; // replies deleted with it
}

export function presentComment(entry: CommentEntry): CommentView {
  const c = entry.comment;
  return {
    id: c.id,
    noticeId: c.noticeId,
    parentId: c.parentId,
    replyTo: c.replyTo,
    author: { name: c.authorName, role: c.authorRole },
    private: c.private,
    status: c.hidden ? 'pending_review' : 'visible',
    text: c.text,
    mine: entry.mine,
    canDelete: entry.canDelete,
    createdAt: new Date(c.createdAt).toISOString(),
    approvedAt: iso(c.approvedAt),
  };
}

export function presentCreatedComment(entry: CommentEntry): CreatedCommentView {
  return { ...presentComment(entry), replyTemplateId: COMMENT_REPLY_TEMPLATE_ID };
}

export function presentThreads(page: Page<ThreadEntry>): CommentPageView {
  return {
    items: page.items.map((t) => ({
      ...presentComment(t),
      replies: t.replies.map(presentComment),
      moreReplies: t.moreReplies,
    })),
    nextCursor: page.nextCursor,
  };
}

export function presentComments(page: Page<CommentEntry>): CommentPageView<CommentView> {
  return { items: page.items.map(presentComment), nextCursor: page.nextCursor };
}

export function presentCommentDeleted(result: { id: string; replies: number }): CommentDeletedView {
  return { id: result.id, deleted: true, replies: result.replies };
}
