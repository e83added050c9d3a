import { commentFromHash, commentToHash, type Comment } from '../domain/comment';
import { inboxShardOf } from './inbox-store';
import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const createComment = new LuaScript('create-comment');
const deleteComment = new LuaScript('delete-comment');
const approveComment = new LuaScript('approve-comment');
const countCommentRate = new LuaScript('count-comment-rate');

export type CreateOutcome = 'ok' | 'gone' | 'closed' | 'parent_gone';
export type DeleteOutcome = 'ok' | 'gone' | 'changed';
export type ApproveOutcome = 'ok' | 'gone' | 'already';

/** A reference to one comment or reply, as a user's index holds it. */
export interface CommentRef {
  noticeId: string;
  id: string;
  at: number; // ms, when it was written
}

/** Where a listing goes on from: ids below `before` (newest first) or above `after` (oldest first). */
export interface IdRange {
  before?: number;
  after?: number;
  limit: number;
}

/**
 * Comments on notices in Redis (README.md#redis-keys). Everything of one notice's comments — the
 * records, the listings (all comments, the public ones, each author's), each comment's replies,
 * the review queue, the id counter — carries the notice's hash tag `{nt<id>}` and changes in one
 * script per step. A user's own index (`comments:{u<shard>}:<openid>`, for export and erasure)
 * lives in their shard's slot and is written beside the scripts: before a create (so an erasure
 * finds a comment whose script ran), after a delete; nothing else trusts it.
 */
export class CommentStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async nextId(noticeId: string): Promise<string> {
    return String(await this.redis.incr(this.keys.commentSeq(noticeId)));
  }

  /** Stores `comment` and indexes it (create-comment.lua). */
  async create(comment: Comment): Promise<CreateOutcome> {
    const { keys } = this;
    const n = comment.noticeId;
    await this.redis.zAdd(this.userIndex(comment.author), {
      score: comment.createdAt,
      value: `${n}:${comment.id}`,
    });
    const list = comment.parentId ? keys.commentReplies(n, comment.parentId) : keys.comments(n);
    const parent = comment.parentId ? keys.comment(n, comment.parentId) : keys.notice(n);
    const outcome = await createComment.run<CreateOutcome>(
      this.redis,
      [
        keys.notice(n),
        keys.comment(n, comment.id),
        list,
        keys.publicComments(n),
        keys.authorComments(n, comment.author),
        keys.pendingComments(n),
        parent,
      ],
      [
        comment.id,
        comment.parentId ? 'reply' : 'comment',
        String(comment.hidden),
        String(comment.private),
        ...Object.entries(commentToHash(comment)).flat(),
      ],
    );
    if (outcome !== 'ok') await this.unindexUser(comment.author, [{ noticeId: n, id: comment.id }]);
    return outcome;
  }

  async get(noticeId: string, id: string): Promise<Comment | null> {
    return commentFromHash(await this.redis.hGetAll(this.keys.comment(noticeId, id)));
  }

  async getMany(noticeId: string, ids: readonly string[]): Promise<(Comment | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.multi();
    for (const id of ids) pipeline.hGetAll(this.keys.comment(noticeId, id));
    const hashes = (await pipeline.execAsPipeline()) as unknown as Record<string, string>[];
    return hashes.map((hash) => commentFromHash(hash ?? {}));
  }

  /** Every comment of a notice (managers' listing), newest first. */
  allIds(noticeId: string, range: IdRange): Promise<string[]> {
    return this.ids(this.keys.comments(noticeId), range);
  }

  /** What a reader who is no manager lists: the public comments and their own, newest first. */
  async readerIds(noticeId: string, openid: string, range: IdRange): Promise<string[]> {
    const [shared, own] = await Promise.all([
      this.ids(this.keys.publicComments(noticeId), range),
      this.ids(this.keys.authorComments(noticeId, openid), range),
    ]);
    const merged = [...new Set([...shared, ...own])].sort((a, b) => Number(b) - Number(a));
    return merged.slice(0, range.limit);
  }

  /** A comment's reply ids, oldest first. */
  replyIds(noticeId: string, id: string, range: IdRange): Promise<string[]> {
    return this.ids(this.keys.commentReplies(noticeId, id), range);
  }

  /** How many replies a comment has (every one, hidden ones included). */
  replyCount(noticeId: string, id: string): Promise<number> {
    return this.redis.zCard(this.keys.commentReplies(noticeId, id));
  }

  /** The public comments every reader sees: the notice's comment count. */
  publicCount(noticeId: string): Promise<number> {
    return this.redis.zCard(this.keys.publicComments(noticeId));
  }

  /** Comments and replies awaiting a manager's approval, oldest first. */
  pendingIds(noticeId: string, range: IdRange): Promise<string[]> {
    return this.ids(this.keys.pendingComments(noticeId), range);
  }

  /**
   * Deletes `comment` with its replies (`replies`, as read) or, a reply, itself
   * (delete-comment.lua); 'changed' when a reply came since they were read.
   */
  async delete(comment: Comment, replies: readonly Comment[]): Promise<DeleteOutcome> {
    const { keys } = this;
    const n = comment.noticeId;
    const outcome = await deleteComment.run<DeleteOutcome>(
      this.redis,
      [
        keys.comment(n, comment.id),
        comment.parentId ? keys.commentReplies(n, comment.parentId) : keys.comments(n),
        keys.publicComments(n),
        keys.authorComments(n, comment.author),
        keys.pendingComments(n),
        keys.commentReplies(n, comment.id),
        ...replies.map((r) => keys.comment(n, r.id)),
      ],
      [comment.id, ...replies.map((r) => r.id)],
    );
    if (outcome === 'ok') {
      for (const c of [comment, ...replies]) await this.unindexUser(c.author, [{ noticeId: n, id: c.id }]);
    }
    return outcome;
  }

  /** Takes ids out of a notice's list of comments (records already gone). */
  async unlist(noticeId: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.zRem(this.keys.comments(noticeId), [...ids]);
  }

  /** The notice's comment keys that outlive its comments: the id counter and the (empty) indexes. */
  async dropNotice(noticeId: string): Promise<void> {
    const k = this.keys;
    await this.redis.del([k.commentSeq(noticeId), k.publicComments(noticeId), k.pendingComments(noticeId)]);
  }

  /** Makes a comment held for review visible (approve-comment.lua). */
  approve(comment: Comment, now: number): Promise<ApproveOutcome> {
    const n = comment.noticeId;
    return approveComment.run<ApproveOutcome>(
      this.redis,
      [this.keys.comment(n, comment.id), this.keys.pendingComments(n), this.keys.publicComments(n)],
      [comment.id, now],
    );
  }

  /** Counts one comment of `openid` in window `window` (kept `ttlMs`): how many there are now. */
  async countRate(openid: string, window: number, ttlMs: number): Promise<number> {
    const key = this.keys.commentRate(inboxShardOf(openid), openid, window);
    return Number(await countCommentRate.run<number>(this.redis, [key], [ttlMs]));
  }

  /** The comments and replies `openid` wrote, oldest first. */
  async userComments(openid: string): Promise<CommentRef[]> {
    const entries = await this.redis.zRangeWithScores(this.userIndex(openid), 0, -1);
    return entries.map(({ value, score }) => {
      const [noticeId = '', id = ''] = value.split(':');
      return { noticeId, id, at: score };
    });
  }

  /** Drops the user's index and the rate counters of `windows` (erasure, once their comments are gone). */
  async dropUser(openid: string, windows: readonly number[]): Promise<void> {
    const shard = inboxShardOf(openid);
    await this.redis.del([this.keys.userComments(shard, openid)]);
    for (const w of windows) await this.redis.del([this.keys.commentRate(shard, openid, w)]);
  }

  private async unindexUser(openid: string, refs: readonly Omit<CommentRef, 'at'>[]): Promise<void> {
    await this.redis.zRem(
      this.userIndex(openid),
      refs.map((r) => `${r.noticeId}:${r.id}`),
    );
  }

  private userIndex(openid: string): string {
    return this.keys.userComments(inboxShardOf(openid), openid);
  }

  private ids(key: string, range: IdRange): Promise<string[]> {
    const count = { offset: 0, count: range.limit };
    if (range.after !== undefined) {
      return this.redis.zRange(key, `(${range.after}`, '+inf', { BY: 'SCORE', LIMIT: count });
    }
    const top = range.before !== undefined ? `(${range.before}` : '+inf';
    return this.redis.zRange(key, top, '-inf', { BY: 'SCORE', REV: true, LIMIT: count });
  }
}
