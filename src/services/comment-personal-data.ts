import { COMMENT_LIMITS, type Comment } from '../domain/comment';
import type { CommentStore } from '../store/comment-store';
import type { CommentService } from './comment-service';
import { isoTime, type KeyFamily, type PersonalData } from './personal-data';

/** One comment or reply in a person's data export, in the store's field names. */
export interface CommentExport {
  noticeId: string;
  id: string;
  parentId: string | null;
  replyTo: string | null;
  author: string;
  authorName: string;
  authorRole: string;
  private: boolean;
  hidden: boolean;
  text: string;
  createdAt: string | null;
  approvedAt: string | null;
}

const FAMILIES: readonly KeyFamily[] = [
  {
    pattern: 'comments:<tag>:<openid>',
    about: 'zset: the comments and replies the user wrote, `<noticeId>:<id>`, score = when',
    // Each member names a comment exported with its noticeId and id, the score as its createdAt.
    notExported: ['members'],
  },
  {
    pattern: 'comments:<tag>:<openid>:rate:<window>',
    about: 'string, 1 min: how many comments and replies the user wrote this minute (the rate limit)',
    notExported: ['value'], // a count of the minute's comments, which are exported themselves
  },
  {
    pattern: 'notice:<tag>:comment:<id>',
    about: "hash: a comment or reply, the author's openid in `author`",
  },
  {
    pattern: 'notice:<tag>:comments:by:<openid>',
    about: "zset: the user's comments on one notice (private and held ones too), score = the id",
  },
];

/**
 * Comments as personal data: what a person wrote on notices (comments, questions, replies), found
 * through their index. Erasure deletes them — not anonymised: the text is theirs and says who
 * wrote it — and a deleted comment takes its replies with it, as when its author deletes it.
 * What others wrote stays, as do the notices (they are the publishers').
 */
export class CommentPersonalData implements PersonalData {
  readonly name = 'comments';
  readonly families = FAMILIES;

  constructor(
    private readonly deps: {
      store: Pick<CommentStore, 'userComments' | 'getMany' | 'dropUser'>;
      comments: Pick<CommentService, 'deleteThread'>;
      now: () => number;
    },
  ) {}

  async export(openid: string): Promise<CommentExport[]> {
    const own = await this.written(openid);
    return own.map((c) => ({
      noticeId: c.noticeId,
      id: c.id,
      parentId: c.parentId,
      replyTo: c.replyTo,
      author: c.author,
      authorName: c.authorName,
      authorRole: c.authorRole,
      private: c.private,
      hidden: c.hidden,
      text: c.text,
      createdAt: isoTime(c.createdAt),
      approvedAt: isoTime(c.approvedAt),
    }));
  }

  async erase(openid: string): Promise<number> {
    let erased = 0;
    for (const comment of await this.written(openid)) {
      if ((await this.deps.comments.deleteThread(comment)) !== null) erased++;
    }
    // A counter lives two windows (COMMENT_LIMITS.rateWindowMs each): the current and the last.
    const window = Math.floor(this.deps.now() / COMMENT_LIMITS.rateWindowMs);
    await this.deps.store.dropUser(openid, [window - 1, window]);
    return erased;
  }

  /** The comments and replies the index names that still exist and are theirs, oldest first. */
  private async written(openid: string): Promise<Comment[]> {
    const refs = await this.deps.store.userComments(openid);
    const byNotice = new Map<string, string[]>();
    for (const r of refs) byNotice.set(r.noticeId, [...(byNotice.get(r.noticeId) ?? []), r.id]);
    const found: Comment[] = [];
    for (const [noticeId, ids] of byNotice) {
      const comments = await this.deps.store.getMany(noticeId, ids);
      for (const c of comments) if (c && c.author === openid) found.push(c);
    }
    return found.sort((a, b) => a.createdAt - b.createdAt);
  }
}
