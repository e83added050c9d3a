/**
 * A notice to groups (docs/architecture.md#notices-to-groups): what a publisher writes, whom it is for (groups, tags within them,
 * single members), and its life — scheduled, publishing (the fan-out to every recipient runs),
 * published, cancelled before publication, retracted after. Stored as the Redis hash
 * `notice:{<id>}` with its recipients beside it (README.md#redis-keys); pure types here, no clock
 * and no Redis.
 */
import type { Outcome } from '../delivery/outcome';

/** A push as its notification record tells it (NotificationService.states). */
export interface PushRecord {
  status: 'pending' | Outcome;
  delivery: 'delivered' | 'failed' | null; // WeChat's report (subscribe_msg_sent_event), when it came
}

export const URGENCIES = ['normal', 'important', 'urgent'] as const;
export type Urgency = (typeof URGENCIES)[number];
/** How the push shows the urgency (a `phrase` field: at most 5 Chinese characters). */
export const URGENCY_TEXT: Record<Urgency, string> = { normal: '普通', important: '重要', urgent: '紧急' };

export type NoticeStatus = 'scheduled' | 'publishing' | 'published' | 'cancelled' | 'retracted';
/**
 * The work a notice still needs, done by whichever instance claims it: `publish` (resolve the
 * audience, write every inbox entry, hand the pushes over), `retract` (take it out of every inbox).
 */
export type NoticeJob = 'publish' | 'retract';

export const NOTICE_PAGE = 'pages/notice/detail'; // the page a notice's push opens

export function noticePage(id: string): string {
  return `${NOTICE_PAGE}?id=${id}`;
}

export interface NoticeAudience {
  groups: string[]; // group ids, each managed by the publisher
  tags: string[]; // only members with one of these tags (within the groups)…
  members: string[]; // …and these members (memberIds within the groups); both empty: everyone
}

export interface Attachment {
  name: string;
  url: string; // https, for wx.downloadFile / wx.openDocument
}

export interface Notice {
  id: string;
  author: string; // openid of the publisher
  publisher: string; // the name the push and the inbox show ('' → the template's default)
  title: string;
  body: string;
  category: string; // a name of config/categories.json
  urgency: Urgency;
  audience: NoticeAudience;
  groupNames: Record<string, string>; // audience group id → its name when the notice was written
  attachments: Attachment[];
  requireConfirm: boolean;
  publishAt: number; // ms: when it is (or was to be) published
  publishedAt: number | null; // ms: when publication began
  status: NoticeStatus;
  job: NoticeJob | null;
  recipients: number | null; // how many the audience resolved to; null until resolved
  inboxed: number; // inbox entries written so far (the fan-out's progress)
  createdAt: number;
  updatedAt: number;
  requestHash?: string; // the create's Idempotency-Key fingerprint
  idempotencyKey?: string; // the create's Idempotency-Key (its `notices:idem:` answer goes with the notice)
}

/** What publication recorded about one recipient (`notice:{<id>}:recipients`, field = openid). */
export interface Recipient {
  openid: string;
  index: number; // position in the resolved audience: the fan-out's and the listings' order
  memberId: string; // in the first audience group they belong to
  groups: string[]; // the audience groups they belong to
  displayName: string;
  studentNo: string;
  notificationId: string | null; // their latest push (null: none handed over yet, or muted)
  muted: boolean; // no push: they muted the category and the notice is not urgent
}

/** Where a recipient's push stands (muted: none was sent, by their preference). */
export type PushState = 'pending' | 'muted' | 'sent' | 'delivered' | 'failed' | 'no_quota' | 'rate_limited';
export const PUSH_STATES: readonly PushState[] = [
  'pending',
  'muted',
  'sent',
  'delivered',
  'failed',
  'no_quota',
  'rate_limited',
];
/** A recipient's one state, the furthest along: a push state until they read, then read, then confirmed. */
export type RecipientState = PushState | 'read' | 'confirmed';

/** The push state of a recipient from what their notification record says. */
export function pushStateOf(recipient: Recipient, push: PushRecord | null | undefined): PushState {
  if (recipient.notificationId === null) return recipient.muted ? 'muted' : 'pending';
  // A notification record is purged RETENTION_DAYS after its send: it was sent then.
  if (!push) return 'sent';
  switch (push.status) {
    case 'pending':
      return 'pending';
    case 'sent':
      return push.delivery ?? 'sent';
    case 'no_quota':
    case 'rate_limited':
    case 'failed':
      return push.status;
    case 'missed':
      return 'failed'; // not sent within the misfire grace
  }
}

export function recipientState(
  push: PushState,
  receipt: { readAt: number | null; confirmedAt: number | null },
): RecipientState {
  if (receipt.confirmedAt !== null) return 'confirmed';
  if (receipt.readAt !== null) return 'read';
  return push;
}

/** A recipient record → its stored JSON (the openid is the hash field). */
export function recipientToJson(r: Recipient): string {
  return JSON.stringify({
    i: r.index,
    m: r.memberId,
    g: r.groups,
    n: r.displayName,
    s: r.studentNo,
    nid: r.notificationId ?? '',
    mu: r.muted ? 1 : 0,
  });
}

export function recipientFromJson(openid: string, json: string | null | undefined): Recipient | null {
  if (!json) return null;
  const v = JSON.parse(json) as {
    i: number;
    m: string;
    g: string[];
    n: string;
    s: string;
    nid: string;
    mu: number;
  };
  return {
    openid,
    index: v.i,
    memberId: v.m,
    groups: v.g,
    displayName: v.n,
    studentNo: v.s,
    notificationId: v.nid || null,
    muted: v.mu === 1,
  };
}

/** Hash fields → Notice; null when the hash is empty. */
export function noticeFromHash(hash: Record<string, string>): Notice | null {
  if (!hash.id) return null;
  const num = (value: string | undefined): number | null => (value ? Number(value) : null);
  return {
    id: hash.id,
    author: hash.author ?? '',
    publisher: hash.publisher ?? '',
    title: hash.title ?? '',
    body: hash.body ?? '',
    category: hash.category ?? '',
    urgency: (hash.urgency as Urgency) ?? 'normal',
    audience: JSON.parse(hash.audience ?? '{"groups":[],"tags":[],"members":[]}') as NoticeAudience,
    groupNames: JSON.parse(hash.groupNames ?? '{}') as Record<string, string>,
    attachments: JSON.parse(hash.attachments ?? '[]') as Attachment[],
    requireConfirm: hash.requireConfirm === '1',
    publishAt: Number(hash.publishAt ?? 0),
    publishedAt: num(hash.publishedAt),
    status: (hash.status as NoticeStatus) ?? 'scheduled',
    job: (hash.job as NoticeJob) || null,
    recipients: num(hash.recipients),
    inboxed: Number(hash.inboxed ?? 0),
    createdAt: Number(hash.createdAt ?? 0),
    updatedAt: Number(hash.updatedAt ?? 0),
    ...(hash.requestHash ? { requestHash: hash.requestHash } : {}),
    ...(hash.idempotencyKey ? { idempotencyKey: hash.idempotencyKey } : {}),
  };
}

/** The fields a notice's author writes (create and edit) → hash fields. */
export function contentToHash(
  n: Pick<
    Notice,
    | 'publisher'
    | 'title'
    | 'body'
    | 'category'
    | 'urgency'
    | 'audience'
    | 'groupNames'
    | 'attachments'
    | 'requireConfirm'
    | 'publishAt'
  >,
): Record<string, string> {
  return {
    publisher: n.publisher,
    title: n.title,
    body: n.body,
    category: n.category,
    urgency: n.urgency,
    audience: JSON.stringify(n.audience),
    groupNames: JSON.stringify(n.groupNames),
    attachments: JSON.stringify(n.attachments),
    requireConfirm: n.requireConfirm ? '1' : '0',
    publishAt: String(n.publishAt),
  };
}

/** A new notice → hash fields. */
export function noticeToHash(n: Notice): Record<string, string> {
  return {
    id: n.id,
    author: n.author,
    ...contentToHash(n),
    publishedAt: n.publishedAt === null ? '' : String(n.publishedAt),
    status: n.status,
    job: n.job ?? '',
    recipients: n.recipients === null ? '' : String(n.recipients),
    inboxed: String(n.inboxed),
    createdAt: String(n.createdAt),
    updatedAt: String(n.updatedAt),
    ...(n.requestHash ? { requestHash: n.requestHash } : {}),
    ...(n.idempotencyKey ? { idempotencyKey: n.idempotencyKey } : {}),
  };
}

/**
 * The member an inbox zset holds for a notice: `<publishedAt, 13 digits>:<id, 15 digits>`, so that
 * lexical order is publication order, and creation order between notices published the same ms.
 */
export function inboxMember(publishedAt: number, id: string): string {
  return `${String(publishedAt).padStart(13, '0')}:${id.padStart(15, '0')}`;
}

/** The notice id of an inbox member. */
export function noticeOfInboxMember(member: string): string {
  return String(Number(member.slice(member.indexOf(':') + 1)));
}
