import {
  canSee,
  COMMENT_LIMITS,
  type Comment,
  type CommentReader,
  type CommentRole,
} from '../domain/comment';
import type { Notice } from '../domain/notice';
import { commentForbidden, commentNotFound, commentsClosed, noticeNotFound } from '../errors';
import type { Logger } from '../logger';
import type { CommentStore, CreateOutcome } from '../store/comment-store';
import type { CommentNotifier } from './comment-notifier';
import { CONTENT_SCENES, type ContentCheckService } from './content-check';
import type { GroupService } from './group-service';
import type { NoticeAccess, NoticeService } from './notice-service';

/** The hot-ranking hook (src/services/notice-activity.ts), optional until it is wired. */
export interface NoticeActivityRecorder {
  record(noticeId: string, kind: 'read' | 'confirm' | 'comment', atMs: number): Promise<unknown> | unknown;
}

export interface CommentServiceDeps {
  notices: Pick<NoticeService, 'view'>;
  groups: Pick<GroupService, 'membership'>;
  store: CommentStore;
  contentCheck: Pick<ContentCheckService, 'check'>;
  notifier: Pick<CommentNotifier, 'replied'>;
  activity?: NoticeActivityRecorder;
  logger: Logger;
  now: () => number;
}

/** A comment as one reader sees it: whether it is theirs, whether they may delete it. */
export interface CommentEntry {
  comment: Comment;
  mine: boolean;
  canDelete: boolean;
}

/** A notice, the caller as a reader of its comments. */
export interface CommentScope {
  notice: Notice;
  access: NoticeAccess;
  reader: CommentReader;
}

/**
 * Comments, private questions and replies on a notice (README.md#comments-and-questions): who may
 * see the notice may comment on it (its recipients and its groups' managers); every text goes
 * through WeChat's content check before anything is stored (`risky`: 422, nothing stored;
 * `review`: stored hidden until a manager approves it). Listings are src/services/comment-reader.ts.
 */
export class CommentService {
  constructor(private readonly deps: CommentServiceDeps) {}

  /** The caller's standing on a notice's comments: 404 when they may not see the notice. */
  async scope(openid: string, noticeId: string): Promise<CommentScope> {
    const access = await this.deps.notices.view(openid, noticeId);
    return { notice: access.notice, access, reader: { openid, manager: access.managesSome } };
  }

  /** Counts one comment or reply of `openid` (its rate limit): the wait in ms when over it, else null. */
  async admit(openid: string): Promise<number | null> {
    const { rateWindowMs, perMinute } = COMMENT_LIMITS;
    const now = this.deps.now();
    const window = Math.floor(now / rateWindowMs);
    const count = await this.deps.store.countRate(openid, window, 2 * rateWindowMs);
    return count > perMinute ? Math.max(1, (window + 1) * rateWindowMs - now) : null;
  }

  /** A comment (or a question, `private`) on the notice. */
  async create(
    openid: string,
    noticeId: string,
    input: { text: string; private: boolean },
  ): Promise<CommentEntry> {
    const scope = await this.scope(openid, noticeId);
    this.open(scope.notice);
    const hidden = await this.check(openid, input.text);
    const comment = await this.draft(scope, { ...input, hidden, parent: null, replyTo: null });
    await this.store(comment);
    return this.entry(scope.reader, comment);
  }

  /**
   * A reply to a comment or to a reply (it joins the comment's thread); the author of what it
   * answers is notified once the reply is visible (now, or when a manager approves it).
   */
  async reply(
    openid: string,
    noticeId: string,
    commentId: string,
    input: { text: string },
  ): Promise<CommentEntry> {
    const scope = await this.scope(openid, noticeId);
    const { answered, thread } = await this.visible(scope, commentId);
    this.open(scope.notice);
    const hidden = await this.check(openid, input.text);
    const reply = await this.draft(scope, {
      text: input.text,
      private: thread.private,
      hidden,
      parent: thread.id,
      replyTo: answered.id,
    });
    await this.store(reply);
    if (!hidden) await this.told(scope.notice, reply, answered);
    return this.entry(scope.reader, reply);
  }

  /** Approves a comment or reply held for review (managers): visible to its readers from now on. */
  async approve(openid: string, noticeId: string, commentId: string): Promise<CommentEntry> {
    const scope = await this.scope(openid, noticeId);
    if (!scope.reader.manager) throw commentForbidden("the notice's managers approve comments");
    const { answered: comment } = await this.visible(scope, commentId);
    const now = this.deps.now();
    const outcome = await this.deps.store.approve(comment, now);
    if (outcome === 'gone') throw commentNotFound();
    const approved = (await this.deps.store.get(noticeId, commentId)) ?? comment;
    if (outcome === 'ok') {
      this.record(noticeId, now);
      const answered = approved.replyTo ? await this.deps.store.get(noticeId, approved.replyTo) : null;
      if (answered) await this.told(scope.notice, approved, answered);
    }
    return this.entry(scope.reader, approved);
  }

  /** Deletes a comment with its replies, or a reply: its author, or any manager (moderation). */
  async remove(
    openid: string,
    noticeId: string,
    commentId: string,
  ): Promise<{ id: string; replies: number }> {
    const scope = await this.scope(openid, noticeId);
    const { answered: comment } = await this.visible(scope, commentId);
    if (comment.author !== openid && !scope.reader.manager) {
      throw commentForbidden("its author and the notice's managers delete a comment");
    }
    const replies = await this.deleteThread(comment);
    if (replies === null) throw commentNotFound();
    return { id: comment.id, replies };
  }

  /**
   * Deletes `comment` and, a comment, its replies (null: it was gone already); how many replies
   * went. Used by DELETE and by a person's erasure.
   */
  async deleteThread(comment: Comment): Promise<number | null> {
    const { store } = this.deps;
    for (let attempt = 0; ; attempt++) {
      const ids = comment.parentId
        ? []
        : await store.replyIds(comment.noticeId, comment.id, { after: 0, limit: 100_000 });
      const replies = (await store.getMany(comment.noticeId, ids)).filter((r): r is Comment => r !== null);
      const outcome = await store.delete(comment, replies);
      if (outcome === 'ok') return replies.length;
      if (outcome === 'gone') return null;
      if (attempt >= 4)
        throw new Error(`comment ${comment.noticeId}:${comment.id} kept changing while deleted`);
    }
  }

  /**
   * Deletes every comment of a notice with its replies and counter (when the notice itself goes:
   * retention, its author's erasure); how many comments went. Bounded steps, safe to run again.
   */
  async purgeNotice(noticeId: string): Promise<number> {
    const { store } = this.deps;
    let purged = 0;
    for (;;) {
      const ids = await store.allIds(noticeId, { limit: 100 });
      if (ids.length === 0) break;
      for (const comment of await store.getMany(noticeId, ids)) {
        if (comment && (await this.deleteThread(comment)) !== null) purged++;
      }
      // Ids whose record is gone (a step that stopped half-way) leave the index here.
      await store.unlist(noticeId, ids);
    }
    await store.dropNotice(noticeId);
    return purged;
  }

  /** The comment `id` of the notice and its thread's comment, if the reader sees them; else 404. */
  async visible(scope: CommentScope, id: string): Promise<{ answered: Comment; thread: Comment }> {
    const { store } = this.deps;
    const answered = /^\d{1,15}$/.test(id) ? await store.get(scope.notice.id, id) : null;
    if (!answered) throw commentNotFound();
    const thread = answered.parentId ? await store.get(scope.notice.id, answered.parentId) : answered;
    if (!thread || !canSee(scope.reader, answered, thread === answered ? null : thread)) {
      throw commentNotFound();
    }
    return { answered, thread };
  }

  entry(reader: CommentReader, comment: Comment): CommentEntry {
    const mine = comment.author === reader.openid;
    return { comment, mine, canDelete: mine || reader.manager };
  }

  /** Comments only while the notice is out: not before its publication, not once withdrawn. */
  private open(notice: Notice): void {
    if (notice.status !== 'published' && notice.status !== 'publishing') throw commentsClosed(notice.status);
  }

  /** WeChat's verdict: hidden (true) for `review`; `risky` throws the 422 and nothing is stored. */
  private async check(openid: string, text: string): Promise<boolean> {
    const verdict = await this.deps.contentCheck.check({
      openid,
      scene: CONTENT_SCENES.comment,
      text,
      path: 'text',
    });
    return verdict === 'review';
  }

  private async draft(
    scope: CommentScope,
    fields: {
      text: string;
      private: boolean;
      hidden: boolean;
      parent: string | null;
      replyTo: string | null;
    },
  ): Promise<Comment> {
    const { notice, access, reader } = scope;
    const role: CommentRole = reader.manager ? 'manager' : 'member';
    return {
      id: await this.deps.store.nextId(notice.id),
      noticeId: notice.id,
      parentId: fields.parent,
      replyTo: fields.replyTo,
      author: reader.openid,
      authorName: access.recipient?.record.displayName || (await this.displayName(notice, reader.openid)),
      authorRole: role,
      private: fields.private,
      hidden: fields.hidden,
      text: fields.text,
      createdAt: this.deps.now(),
      approvedAt: null,
    };
  }

  /** The caller's display name in the first of the notice's groups that has one. */
  private async displayName(notice: Notice, openid: string): Promise<string> {
    for (const groupId of notice.audience.groups) {
      const member = await this.deps.groups.membership(groupId, openid);
      if (member?.displayName) return member.displayName;
    }
    return '';
  }

  private async store(comment: Comment): Promise<void> {
    const outcome: CreateOutcome = await this.deps.store.create(comment);
    if (outcome === 'gone') throw noticeNotFound();
    if (outcome === 'closed') throw commentsClosed('not published');
    if (outcome === 'parent_gone') throw commentNotFound();
    if (!comment.hidden) this.record(comment.noticeId, comment.createdAt);
  }

  /** Tells the author of `answered` about `reply` (not when they answer themselves). */
  private async told(notice: Notice, reply: Comment, answered: Comment): Promise<void> {
    if (answered.author === reply.author) return;
    try {
      await this.deps.notifier.replied(notice, reply, answered);
    } catch (err) {
      // The reply is stored and shown; a push that cannot be made must not refuse it.
      this.deps.logger.warn(
        { err: (err as Error).message, noticeId: notice.id, commentId: reply.id },
        'reply stored, its push not sent',
      );
    }
  }

  /** The hot-ranking hook: a failure there must not undo a stored comment, so it is only logged. */
  private record(noticeId: string, at: number): void {
    const { activity, logger } = this.deps;
    if (!activity) return;
    Promise.resolve()
      .then(() => activity.record(noticeId, 'comment', at))
      .catch((err: unknown) =>
        logger.warn({ err: (err as Error).message, noticeId }, 'notice activity not recorded for a comment'),
      );
  }
}
