/** The API's answers as the console reads them (docs/openapi.yaml has the full shapes). */
export interface SessionView {
  kind: 'operator' | 'publisher';
  csrfToken: string;
  expiresAt: string;
  sandbox: boolean;
}

export interface LoginView {
  nonce: string;
  qrcode: string;
  scene: string;
  expiresAt: string;
  simulate: boolean;
}

export type PollView = { status: 'pending' } | { status: 'approved'; session: SessionView };

export interface HealthView {
  status: 'ok' | 'degraded';
  redis: string;
  scheduler: string;
  jobs: number;
  version: string;
  instance: string;
  uptimeSeconds: number;
}

export interface OverviewView {
  health: HealthView;
  instances: {
    id: string;
    version: string;
    pid: number;
    host: string;
    startedAt: string;
    seenAt: string;
    jobsHeld: number;
    sendsInFlight: number;
    scheduler: 'running' | 'stopped';
  }[];
  nextDue: { source: string; id: string; kind: string; repeat: string | null; dueAt: string }[];
  token: { present: boolean; expiresAt: string | null };
  pause: { paused: boolean; remainingSeconds: number; lastWindow: { start: string; end: string } | null };
  quotaMode: string;
  sandbox: boolean;
  generatedAt: string;
}

export interface StatsView {
  reminders: { byStatus: Record<string, number>; counted: number; truncated: boolean };
  sends: { byDay: Record<string, Record<string, number>>; total: Record<string, number> };
  quotaMisses: { total: number; byDay: Record<string, number> };
  generatedAt: string;
}

export interface BotRulesView {
  rules: {
    name: string;
    help?: string;
    match: Record<string, string>;
    reply?: Record<string, unknown>;
    transfer?: true;
  }[];
  default: { reply?: Record<string, unknown>; transfer?: true };
  updatedAt: string | null;
}

export interface WindowView {
  open: boolean;
  remaining: number;
  until: string | null;
  kind: 'message' | 'session' | null;
}

export interface MessageView {
  at: string;
  direction: 'in' | 'out';
  from: string;
  type: string;
  text?: string;
  link?: { title: string; url: string };
  miniprogrampage?: { title: string; pagePath: string };
  event?: string;
}

export interface ConversationPage {
  items: { openid: string; lastActivityAt: string; window: WindowView; last: MessageView | null }[];
  nextCursor: string | null;
}

export interface ConversationView {
  openid: string;
  lastActivityAt: string;
  window: WindowView;
  messages: MessageView[];
}

export type Role = 'owner' | 'manager' | 'member';

export interface MemberView {
  memberId: string;
  role: Role;
  tags: string[];
  displayName: string;
  studentNo: string;
  joinedAt: string;
}

export interface GroupView {
  id: string;
  name: string;
  description: string;
  memberCount: number;
  me: MemberView;
  invite: { code: string; path: string } | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Urgency = 'normal' | 'important' | 'urgent';

export interface ConsoleNotice {
  id: string;
  title: string;
  category: string;
  urgency: Urgency;
  status: string;
  groups: { id: string; name: string }[];
  recipients: number | null;
  requireConfirm: boolean;
  publishAt: string;
  publishedAt: string | null;
  createdAt: string;
}

export interface NoticeView {
  id: string;
  title: string;
  body: string;
  category: string;
  urgency: Urgency;
  groups: { id: string; name: string }[];
  attachments: { name: string; url: string }[];
  requireConfirm: boolean;
  status: string;
  publishAt: string;
  publishedAt: string | null;
  manage: { recipients: number | null; inbox: number } | null;
}

export interface StateCounts {
  recipients: number;
  push: Record<string, number>;
  read: number;
  confirmed: number;
}

export interface NoticeStatsView extends StateCounts {
  id: string;
  status: string;
  inbox: number;
  byGroup: (StateCounts & { groupId: string; name: string })[];
}

export interface RecipientView {
  memberId: string;
  groupId: string;
  displayName: string;
  studentNo: string;
  state: string;
  push: string;
  readAt: string | null;
  confirmedAt: string | null;
}

export interface RemindView {
  unread: number;
  reminded: number;
  skipped: { noGrant: number; muted: number; pending: number };
}

/** A comment or reply on a notice (GET /api/notices/:id/comments…). */
export interface CommentView {
  id: string;
  noticeId: string;
  parentId: string | null;
  author: { name: string; role: 'manager' | 'member' };
  private: boolean;
  status: 'visible' | 'pending_review';
  text: string;
  canDelete: boolean;
  createdAt: string;
}

export interface CommentThreadView extends CommentView {
  replies: CommentView[];
  moreReplies: boolean;
}

/** GET /api/notices/:id/progress: per-minute counts kept by the server. */
export interface ProgressCounts {
  sent: number;
  delivered: number;
  failed: number;
  read: number;
  confirmed: number;
}

export interface NoticeProgressView {
  noticeId: string;
  status: string;
  publishedAt: string | null;
  bucketSeconds: number;
  buckets: (ProgressCounts & { at: string })[];
  totals: ProgressCounts;
}

export interface CheckinView {
  id: string;
  groupId: string;
  title: string;
  startsAt: string;
  endsAt: string;
  lateAfter: string | null;
  state: 'upcoming' | 'open' | 'ended';
  titleReview?: boolean;
  me?: { memberId: string; role: string; signed: boolean; status: string | null };
  counts: { onTime: number; late: number } | null;
}

export interface CodeView {
  checkinId: string;
  code: string;
  rotatesAt: string;
  acceptedUntil: string;
  periodSeconds: number;
  qrcode: { image: string } | null;
}

export interface AttendeeView {
  memberId: string;
  displayName: string;
  studentNo: string;
  tags: string[];
  status: 'on_time' | 'late' | 'absent';
  signedAt: string | null;
}

export interface CheckinStatsView {
  checkinId: string;
  title: string;
  total: number;
  onTime: number;
  late: number;
  absent: number;
  signed: AttendeeView[];
  absentMembers: AttendeeView[];
  byTag: { tag: string; total: number; onTime: number; late: number; absent: number }[];
}
