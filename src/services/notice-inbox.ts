import { inboxMember, noticeOfInboxMember, type Notice } from '../domain/notice';
import { invalidRequest, noticeConfirmNotAsked, noticeNotARecipient, noticeNotFound } from '../errors';
import type { InboxFilter, InboxStore } from '../store/inbox-store';
import type { NoticeRecipientStore, Receipt } from '../store/notice-recipient-store';
import type { NoticeStore } from '../store/notice-store';
import type { CategoryCatalog } from './notice-categories';
import type { NoticeAccess, NoticeService } from './notice-service';
import type { NoticeProgress } from './notice-progress';
import type { NoticeActivity } from './notice-activity';

/** One entry of an inbox: the notice and the reader's receipt. */
export interface InboxEntry {
  notice: Notice;
  receipt: Receipt;
}

export interface InboxPage {
  items: InboxEntry[];
  nextCursor: string | null;
}

/**
 * A recipient's side of notices (docs/architecture.md#notices-to-groups): the inbox, newest first and paged (one ZRANGE BYLEX
 * per page, a ZCARD for the unread count: as fast for 10,000 entries as for 10), reading and
 * confirming (idempotent), and which categories push.
 */
export class NoticeInbox {
  constructor(
    private readonly deps: {
      notices: Pick<NoticeService, 'view'>;
      store: NoticeStore;
      recipients: NoticeRecipientStore;
      inbox: InboxStore;
      categories: CategoryCatalog;
      now: () => number;
      progress?: Pick<NoticeProgress, 'receipt'>; // the notice's progress series (first reads, confirms)
      activity?: Pick<NoticeActivity, 'receipt'>; // the hot ranking's counters (first reads, confirms)
    },
  ) {}

  async list(openid: string, query: InboxFilter & { cursor?: string; limit: number }): Promise<InboxPage> {
    const { store, recipients, inbox } = this.deps;
    this.knownCategory(query.category);
    const members = await inbox.page(openid, query, query.cursor, query.limit);
    const ids = members.map(noticeOfInboxMember);
    const notices = await store.getMany(ids);
    const receipts = await Promise.all(ids.map((id) => recipients.receipts(id, [openid])));
    const items: InboxEntry[] = [];
    const stale: { member: string; category: string }[] = [];
    notices.forEach((notice, i) => {
      // A retraction still removing entries, or one that lost a race with a fan-out: not shown, and healed.
      if (!notice || notice.status === 'retracted' || notice.status === 'cancelled') {
        stale.push({ member: members[i] as string, category: notice?.category ?? '' });
        return;
      }
      items.push({ notice, receipt: receipts[i]?.[0] ?? { readAt: null, confirmedAt: null } });
    });
    await Promise.all(stale.map((s) => inbox.remove([openid], s.member, s.category)));
    const last = members[members.length - 1];
    return { items, nextCursor: members.length === query.limit && last ? last : null };
  }

  /** Unread entries, all or of one category (a ZCARD). */
  async unreadCount(openid: string, category?: string): Promise<number> {
    this.knownCategory(category);
    return this.deps.inbox.count(openid, { unread: true, ...(category !== undefined ? { category } : {}) });
  }

  /** Marks the notice read by the caller (idempotent: the first read keeps its time). */
  read(openid: string, id: string): Promise<NoticeAccess> {
    return this.receipt(openid, id, false);
  }

  /** Confirms the notice (and reads it): only when it asks for confirmation. */
  confirm(openid: string, id: string): Promise<NoticeAccess> {
    return this.receipt(openid, id, true);
  }

  /** Each category and whether it pushes (all do unless muted). */
  async preferences(openid: string): Promise<Record<string, boolean>> {
    const muted = new Set(await this.deps.inbox.muted(openid));
    return Object.fromEntries([...this.deps.categories.keys()].map((name) => [name, !muted.has(name)]));
  }

  /** Sets whether the named categories push; the others keep their setting. */
  async setPreferences(
    openid: string,
    categories: Record<string, boolean>,
  ): Promise<Record<string, boolean>> {
    const unknown = Object.keys(categories).filter((name) => !this.deps.categories.has(name));
    if (unknown.length > 0) {
      const known = [...this.deps.categories.keys()].join(', ');
      throw invalidRequest(
        unknown.map((name) => ({
          path: `categories.${name}`,
          message: `is not a category (known: ${known})`,
        })),
      );
    }
    const entries = Object.entries(categories);
    await this.deps.inbox.setMuted(
      openid,
      entries.filter(([, on]) => !on).map(([name]) => name),
      entries.filter(([, on]) => on).map(([name]) => name),
    );
    return this.preferences(openid);
  }

  private async receipt(openid: string, id: string, confirm: boolean): Promise<NoticeAccess> {
    const { recipients, inbox, now } = this.deps;
    const access = await this.deps.notices.view(openid, id);
    const { notice } = access;
    if (!access.recipient || notice.publishedAt === null) throw noticeNotARecipient();
    if (notice.status === 'retracted' || notice.status === 'cancelled') throw noticeNotFound();
    if (confirm && !notice.requireConfirm) throw noticeConfirmNotAsked();
    const at = now();
    const marked = await recipients.markRead(id, openid, at, confirm);
    if (!marked) throw noticeNotARecipient();
    await this.deps.progress?.receipt(id, marked, at);
    await this.deps.activity?.receipt(id, marked, at);
    await inbox.markRead(openid, inboxMember(notice.publishedAt, id), notice.category);
    return this.deps.notices.view(openid, id);
  }

  private knownCategory(category: string | undefined): void {
    if (category !== undefined && !this.deps.categories.has(category)) {
      const known = [...this.deps.categories.keys()].join(', ');
      throw invalidRequest([{ path: 'category', message: `is not a category (known: ${known})` }]);
    }
  }
}
