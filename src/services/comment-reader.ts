import { canSee, COMMENT_LIMITS, type Comment } from '../domain/comment';
import { commentForbidden } from '../errors';
import type { CommentStore } from '../store/comment-store';
import type { CommentEntry, CommentScope, CommentService } from './comment-service';

/** A comment on a page, with the first of its replies the reader sees. */
export interface ThreadEntry extends CommentEntry {
  replies: CommentEntry[]; // oldest first, at most COMMENT_LIMITS.inlineReplies
  moreReplies: boolean; // more replies follow: GET …/comments/:id/replies?cursor=<last reply's id>
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null; // the next page's `cursor`; null on the last
}

export interface PageQuery {
  cursor?: string; // an id of the previous page (its nextCursor)
  limit?: number;
}

export interface CommentReaderDeps {
  comments: Pick<CommentService, 'scope' | 'visible' | 'entry'>;
  store: CommentStore;
}

// Hidden and private entries the reader may not see are skipped by reading on: at most this many
// ids per page are read (a page may come out short; its nextCursor goes on from where it stopped).
const SCAN_FACTOR = 4;

/**
 * Reading a notice's comments (README.md#comments-and-questions): comments newest first, each
 * with its replies oldest first (a thread reads as a conversation); a manager sees every comment,
 * anyone else the public ones and their own (private questions, comments held for review).
 */
export class CommentReader {
  constructor(private readonly deps: CommentReaderDeps) {}

  async list(openid: string, noticeId: string, query: PageQuery): Promise<Page<ThreadEntry>> {
    const { store } = this.deps;
    const scope = await this.deps.comments.scope(openid, noticeId);
    const limit = query.limit ?? COMMENT_LIMITS.pageSize;
    const range = { ...(query.cursor ? { before: Number(query.cursor) } : {}), limit: limit + 1 };
    const ids = scope.reader.manager
      ? await store.allIds(noticeId, range)
      : await store.readerIds(noticeId, openid, range);
    const page = ids.slice(0, limit);
    const comments = (await store.getMany(noticeId, page)).filter((c): c is Comment => c !== null);
    const items = await Promise.all(comments.map((c) => this.thread(scope, c)));
    const last = page[page.length - 1];
    return { items, nextCursor: ids.length > limit && last ? last : null };
  }

  /** A comment's replies the reader sees, oldest first, after `cursor` (a reply's id). */
  async replies(
    openid: string,
    noticeId: string,
    commentId: string,
    query: PageQuery,
  ): Promise<Page<CommentEntry>> {
    const scope = await this.deps.comments.scope(openid, noticeId);
    const { thread } = await this.deps.comments.visible(scope, commentId);
    const limit = query.limit ?? COMMENT_LIMITS.pageSize;
    const { items, next } = await this.visibleReplies(scope, thread, Number(query.cursor ?? 0), limit);
    return { items, nextCursor: next };
  }

  /** Comments and replies held for review, oldest first (managers). */
  async pending(openid: string, noticeId: string, query: PageQuery): Promise<Page<CommentEntry>> {
    const { store } = this.deps;
    const scope = await this.deps.comments.scope(openid, noticeId);
    if (!scope.reader.manager) throw commentForbidden("the notice's managers review comments");
    const limit = query.limit ?? COMMENT_LIMITS.pageSize;
    const ids = await store.pendingIds(noticeId, { after: Number(query.cursor ?? 0), limit: limit + 1 });
    const page = ids.slice(0, limit);
    const comments = (await store.getMany(noticeId, page)).filter((c): c is Comment => c !== null);
    const last = page[page.length - 1];
    return {
      items: comments.map((c) => this.deps.comments.entry(scope.reader, c)),
      nextCursor: ids.length > limit && last ? last : null,
    };
  }

  private async thread(scope: CommentScope, comment: Comment): Promise<ThreadEntry> {
    const { items, next } = await this.visibleReplies(scope, comment, 0, COMMENT_LIMITS.inlineReplies);
    return { ...this.deps.comments.entry(scope.reader, comment), replies: items, moreReplies: next !== null };
  }

  /** Up to `limit` replies of `thread` the reader sees, after reply id `after`; the cursor past them. */
  private async visibleReplies(
    scope: CommentScope,
    thread: Comment,
    after: number,
    limit: number,
  ): Promise<{ items: CommentEntry[]; next: string | null }> {
    const { store } = this.deps;
    const ids = await store.replyIds(thread.noticeId, thread.id, { after, limit: limit * SCAN_FACTOR + 1 });
    const read = ids.slice(0, limit * SCAN_FACTOR);
    const replies = await store.getMany(thread.noticeId, read);
    const items: CommentEntry[] = [];
    let cursor: string | null = null;
    for (const [i, reply] of replies.entries()) {
      if (items.length === limit) {
        cursor = read[i - 1] ?? null;
        break;
      }
      if (reply && canSee(scope.reader, reply, thread))
        items.push(this.deps.comments.entry(scope.reader, reply));
    }
    if (cursor === null && ids.length > read.length) cursor = read[read.length - 1] ?? null;
    return { items, next: cursor };
  }
}
