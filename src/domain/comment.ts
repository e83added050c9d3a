/**
 * Comments on a notice (README.md#comments-and-questions): a public comment, a private question
 * (seen only by its author and the notice's managers), and the replies under either. Stored as
 * the Redis hash `notice:{nt<noticeId>}:comment:<id>` beside the notice (README.md#redis-keys);
 * pure types here, no clock and no Redis.
 */

export const COMMENT_LIMITS = {
  textLength: 500, // characters of a comment or a reply
  pageSize: 20, // comments per page by default…
  pageSizeMax: 50, // …and at most
  inlineReplies: 20, // replies shown under each comment of a page (the rest: GET …/replies)
  perMinute: 10, // comments and replies one person may write per minute (all notices)
  rateWindowMs: 60_000,
} as const;

/**
 * The subscribe-message template a reply's push uses (config/templates.json). Its own template,
 * not the notice one: a one-time grant is per template, so a reply must not spend the grant the
 * person gave for the next notice; the client asks for this one when the person posts.
 */
export const COMMENT_REPLY_TEMPLATE_ID = 'Cm4RqNoticeCommentReplied_tixing-7pVx2NwLs';

/** Who wrote it, as they stood to the notice then. */
export type CommentRole = 'manager' | 'member';

export interface Comment {
  id: string; // unique within the notice (replies share the counter)
  noticeId: string;
  parentId: string | null; // a reply: the comment whose thread it is in; null for a comment
  replyTo: string | null; // a reply: the comment or reply it answers (whose author is told)
  author: string; // openid
  authorName: string; // their display name in the notice's group when they wrote it ('' if none)
  authorRole: CommentRole;
  private: boolean; // a question: its author and the managers only (a reply: its comment's)
  hidden: boolean; // WeChat's content check said `review`: hidden from others until approved
  text: string;
  createdAt: number; // ms
  approvedAt: number | null; // ms: a manager approved it after review
}

export function commentToHash(c: Comment): Record<string, string> {
  return {
    id: c.id,
    noticeId: c.noticeId,
    parentId: c.parentId ?? '',
    replyTo: c.replyTo ?? '',
    author: c.author,
    authorName: c.authorName,
    authorRole: c.authorRole,
    private: String(c.private),
    hidden: String(c.hidden),
    text: c.text,
    createdAt: String(c.createdAt),
    approvedAt: c.approvedAt === null ? '' : String(c.approvedAt),
  };
}

export function commentFromHash(h: Record<string, string>): Comment | null {
  if (!h.id || !h.noticeId || !h.author) return null;
  return {
    id: h.id,
    noticeId: h.noticeId,
    parentId: h.parentId ? h.parentId : null,
    replyTo: h.replyTo ? h.replyTo : null,
    author: h.author,
    authorName: h.authorName ?? '',
    authorRole: h.authorRole === 'manager' ? 'manager' : 'member',
    private: h.private === 'true',
    hidden: h.hidden === 'true',
    text: h.text ?? '',
    createdAt: Number(h.createdAt ?? 0),
    approvedAt: h.approvedAt ? Number(h.approvedAt) : null,
  };
}

/** How the reader stands to a notice's comments. */
export interface CommentReader {
  openid: string;
  manager: boolean; // a manager of one of the notice's groups: sees every comment, moderates
}

/**
 * Whether `reader` sees `comment`: managers see all; others a public comment once approved, and
 * their own. A reply is seen by whoever sees its comment (`parent`), and, hidden, only by its author.
 */
export function canSee(reader: CommentReader, comment: Comment, parent: Comment | null = null): boolean {
  if (reader.manager || comment.author === reader.openid) return true;
  if (comment.hidden) return false;
  if (parent) return canSee(reader, parent);
  return !comment.private;
}
