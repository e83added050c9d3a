import {
  noticePage,
  type Attachment,
  type NoticeAudience,
  type NoticeStatus,
  type PushState,
  type RecipientState,
  type Urgency,
} from '../../domain/notice';
import type { InboxPage } from '../../services/notice-inbox';
import type { NoticeAccess } from '../../services/notice-service';
import type { NoticeStats, RecipientRow, RemindResult, StateCounts } from '../../services/notice-stats';
import type { Notice } from '../../domain/notice';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The caller's own state as a recipient. */
export interface NoticeReceiptView {
  state: RecipientState; // the furthest along: a push state (pending, muted, sent, delivered…), read, confirmed
  readAt: string | null;
  confirmedAt: string | null;
}

/** A notice as its recipients and managers see it: ISO times, no openid. */
export interface NoticeView {
  id: string;
  title: string;
  body: string;
  category: string;
  urgency: Urgency;
  publisher: string; // the publisher's display name in the group ('' when they set none)
  groups: { id: string; name: string }[];
  attachments: Attachment[];
  requireConfirm: boolean;
  status: NoticeStatus;
  publishAt: string;
  publishedAt: string | null;
  page: string; // what its push opens: pages/notice/detail?id=<id>
  createdAt: string;
  updatedAt: string;
  me: NoticeReceiptView | null; // the caller as a recipient; null when they are none
  comments: number; // public comments every reader sees (GET /api/notices/:id/comments)
  manage: { audience: NoticeAudience; recipients: number | null; inbox: number } | null; // managers only
}

/** One entry of `GET /api/inbox`. */
export interface InboxItemView {
  id: string;
  title: string;
  excerpt: string; // the body's first 60 characters
  category: string;
  urgency: Urgency;
  publisher: string;
  groups: { id: string; name: string }[];
  requireConfirm: boolean;
  attachments: number;
  publishedAt: string | null;
  page: string;
  state: 'unread' | 'read' | 'confirmed';
  readAt: string | null;
  confirmedAt: string | null;
}

export interface InboxPageView {
  items: InboxItemView[];
  nextCursor: string | null; // pass back as `cursor` for the next page; null on the last
}

export interface UnreadCountView {
  unread: number;
}

export interface PreferencesView {
  categories: Record<string, boolean>; // true: its notices push (the default); urgent ones push always
}

export type StateCountsView = StateCounts;

/** `GET /api/notices/:id/stats`: every recipient counted once, in their furthest state. */
export interface NoticeStatsView extends StateCountsView {
  id: string;
  status: NoticeStatus;
  inbox: number;
  byGroup: (StateCountsView & { groupId: string; name: string })[];
}

/** One recipient in `GET /api/notices/:id/recipients`. */
export interface RecipientView {
  memberId: string; // in `groupId`, their first group of the audience
  groupId: string;
  groups: string[];
  displayName: string;
  studentNo: string;
  state: RecipientState;
  push: PushState;
  readAt: string | null;
  confirmedAt: string | null;
}

export interface RecipientPageView {
  items: RecipientView[];
  nextCursor: string | null;
}

export type RemindView = RemindResult;

function groupsOf(n: Notice): { id: string; name: string }[] {
  return n.audience.groups.map((id) => ({ id, name: n.groupNames[id] ?? '' }));
}

export function presentNotice(access: NoticeAccess): NoticeView {
  const n = access.notice;
  const mine = access.recipient;
  return {
    id: n.id,
    title: n.title,
    body: n.body,
    category: n.category,
    urgency: n.urgency,
    publisher: n.publisher,
    groups: groupsOf(n),
    attachments: n.attachments,
    requireConfirm: n.requireConfirm,
    status: n.status,
    publishAt: new Date(n.publishAt).toISOString(),
    publishedAt: iso(n.publishedAt),
    page: noticePage(n.id),
    createdAt: new Date(n.createdAt).toISOString(),
    updatedAt: new Date(n.updatedAt).toISOString(),
    me: mine
      ? { state: mine.state, readAt: iso(mine.receipt.readAt), confirmedAt: iso(mine.receipt.confirmedAt) }
      : null,
    comments: access.comments,
    manage:
      access.manages || access.managesSome
        ? { audience: n.audience, recipients: n.recipients, inbox: n.inboxed }
        : null,
  };
}

export function presentInbox(page: InboxPage): InboxPageView {
  return {
    items: page.items.map(({ notice: n, receipt }) => ({
      id: n.id,
      title: n.title,
      excerpt: [...n.body].slice(0, 60).join(''),
      category: n.category,
      urgency: n.urgency,
      publisher: n.publisher,
      groups: groupsOf(n),
      requireConfirm: n.requireConfirm,
      attachments: n.attachments.length,
      publishedAt: iso(n.publishedAt),
      page: noticePage(n.id),
      state: receipt.confirmedAt !== null ? 'confirmed' : receipt.readAt !== null ? 'read' : 'unread',
      readAt: iso(receipt.readAt),
      confirmedAt: iso(receipt.confirmedAt),
    })),
    nextCursor: page.nextCursor,
  };
}

export function presentUnreadCount(unread: number): UnreadCountView {
  return { unread };
}

export function presentPreferences(categories: Record<string, boolean>): PreferencesView {
  return { categories };
}

export function presentNoticeStats(result: { notice: Notice; stats: NoticeStats }): NoticeStatsView {
  const { notice, stats } = result;
  return { id: notice.id, status: notice.status, ...stats };
}

export function presentRecipients(page: {
  items: RecipientRow[];
  nextCursor: string | null;
}): RecipientPageView {
  return {
    items: page.items.map(({ recipient: r, push, receipt, state }) => ({
      memberId: r.memberId,
      groupId: r.groups[0] ?? '',
      groups: r.groups,
      displayName: r.displayName,
      studentNo: r.studentNo,
      state,
      push,
      readAt: iso(receipt.readAt),
      confirmedAt: iso(receipt.confirmedAt),
    })),
    nextCursor: page.nextCursor,
  };
}

export function presentRemind(result: RemindResult): RemindView {
  return result;
}
