import {
  PUSH_STATES,
  pushStateOf,
  recipientState,
  type Notice,
  type PushState,
  type Recipient,
  type RecipientState,
} from '../domain/notice';
import type { NoticeRecipientStore, Receipt } from '../store/notice-recipient-store';
import type { NoticeStore } from '../store/notice-store';
import type { QuotaStore } from '../store/quota-store';
import type { CategoryCatalog } from './notice-categories';
import { noticePushContent } from './notice-push';
import type { NoticeService } from './notice-service';
import type { NotificationService } from './notification-service';

export const REMIND_WINDOW_MS = 10 * 60_000; // one remind per notice per 10 minutes
const SCAN_BOUND = 2_000; // recipients one listing page reads at most (a rare state answers a short page)

/** Recipients counted once each, in their furthest state: a push state until they read. */
export interface StateCounts {
  recipients: number;
  push: Record<PushState, number>;
  read: number; // read, not confirmed
  confirmed: number;
}

export interface NoticeStats extends StateCounts {
  inbox: number; // inbox entries written (= recipients once the fan-out is done)
  byGroup: (StateCounts & { groupId: string; name: string })[]; // someone in two groups counts in both
}

/** One recipient as a listing shows them. */
export interface RecipientRow {
  recipient: Recipient;
  push: PushState;
  receipt: Receipt;
  state: RecipientState;
}

export type RecipientFilter = 'unread' | 'read' | 'confirmed' | PushState;

export interface RemindResult {
  unread: number; // unread recipients when the remind ran
  reminded: number; // pushes handed to the delivery pipeline
  skipped: { noGrant: number; muted: number; pending: number }; // unread, but not pushed again
}

function emptyCounts(): StateCounts {
  return {
    recipients: 0,
    push: Object.fromEntries(PUSH_STATES.map((s) => [s, 0])) as Record<PushState, number>,
    read: 0,
    confirmed: 0,
  };
}

function count(counts: StateCounts, row: RecipientRow): void {
  counts.recipients += 1;
  if (row.state === 'confirmed') counts.confirmed += 1;
  else if (row.state === 'read') counts.read += 1;
  else counts.push[row.state] += 1;
}

/**
 * What a notice's managers see of its delivery (docs/architecture.md#notices-to-groups): stats by state and by group, the
 * recipients in one state (who has not read it yet), and a remind that pushes again to the unread
 * who have a grant. Push states are read from the recipients' notification records (one bulk
 * read), never from counters kept beside them, so they cannot drift apart.
 */
export class NoticeStatsService {
  constructor(
    private readonly deps: {
      notices: Pick<NoticeService, 'managed'>;
      store: NoticeStore;
      recipients: NoticeRecipientStore;
      notifications: Pick<NotificationService, 'states' | 'prepare' | 'sendPrepared'>;
      quota: Pick<QuotaStore, 'remaining'>;
      quotaMode: 'enforce' | 'ignore';
      categories: CategoryCatalog;
      timezone: string;
      now: () => number;
    },
  ) {}

  async stats(openid: string, id: string): Promise<{ notice: Notice; stats: NoticeStats }> {
    const { notice } = await this.deps.notices.managed(openid, id);
    const rows = await this.rows(id, await this.deps.recipients.allRecipients(id));
    const total = emptyCounts();
    const byGroup = notice.audience.groups.map((groupId) => ({
      groupId,
      name: notice.groupNames[groupId] ?? '',
      ...emptyCounts(),
    }));
    for (const row of rows) {
      count(total, row);
      for (const group of byGroup) if (row.recipient.groups.includes(group.groupId)) count(group, row);
    }
    return { notice, stats: { ...total, inbox: notice.inboxed, byGroup } };
  }

  /** Recipients in one state (or all), in audience order, from index `cursor`. */
  async recipients(
    openid: string,
    id: string,
    query: { state?: RecipientFilter; cursor?: number; limit: number },
  ): Promise<{ items: RecipientRow[]; nextCursor: string | null }> {
    await this.deps.notices.managed(openid, id);
    const { recipients } = this.deps;
    const items: RecipientRow[] = [];
    let cursor = query.cursor ?? 0;
    const batch = Math.max(query.limit, 200);
    for (let scanned = 0; scanned < SCAN_BOUND; scanned += batch) {
      const chunk = await recipients.recipientRange(id, cursor, batch);
      if (chunk.length === 0) return { items, nextCursor: null };
      for (const row of await this.rows(id, chunk)) {
        cursor = row.recipient.index + 1;
        if (matches(row, query.state)) items.push(row);
        if (items.length === query.limit) return { items, nextCursor: String(cursor) };
      }
    }
    return { items, nextCursor: String(cursor) };
  }

  /** Pushes again to the unread who have a grant (and did not mute the category, unless urgent). */
  async remind(openid: string, id: string): Promise<RemindResult | { waitMs: number }> {
    const { store, recipients, now, categories, quotaMode } = this.deps;
    const { notice } = await this.deps.notices.managed(openid, id);
    const result: RemindResult = { unread: 0, reminded: 0, skipped: { noGrant: 0, muted: 0, pending: 0 } };
    const category = categories.get(notice.category);
    if (
      (notice.status !== 'published' && notice.status !== 'publishing') ||
      notice.publishedAt === null ||
      !category
    ) {
      return result;
    }
    const slot = await store.takeRemind(id, now(), REMIND_WINDOW_MS);
    if ('waitMs' in slot) return slot;
    const unread = (await this.rows(id, await recipients.allRecipients(id))).filter(
      (r) => r.receipt.readAt === null,
    );
    result.unread = unread.length;
    const ledgers =
      quotaMode === 'enforce'
        ? await Promise.all(unread.map((r) => this.deps.quota.remaining(r.recipient.openid)))
        : [];
    const due: Recipient[] = [];
    unread.forEach((row, i) => {
      if (row.push === 'muted') result.skipped.muted += 1;
      else if (row.push === 'pending') result.skipped.pending += 1;
      else if (quotaMode === 'enforce' && !((ledgers[i]?.[category.templateId] ?? 0) > 0))
        result.skipped.noGrant += 1;
      else due.push(row.recipient);
    });
    const published = { ...notice, publishedAt: notice.publishedAt };
    // One push per first audience group, checked once for all its recipients (as the fan-out's).
    const byGroup = new Map<string, Recipient[]>();
    for (const r of due) {
      const members = byGroup.get(r.groups[0] ?? '');
      if (members) members.push(r);
      else byGroup.set(r.groups[0] ?? '', [r]);
    }
    for (const [groupId, members] of byGroup) {
      const prepared = this.deps.notifications.prepare(
        noticePushContent(published, category, groupId, { timezone: this.deps.timezone }),
      );
      const made = await this.deps.notifications.sendPrepared(
        prepared,
        members.map((r) => ({ openid: r.openid, dedupe: `notice:${id}:remind${slot.remind}:r${r.index}` })),
      );
      members.forEach((r, i) => (r.notificationId = made[i]?.id ?? r.notificationId));
    }
    await recipients.saveRecipients(id, due); // their state now follows the remind's push
    result.reminded = due.length;
    return result;
  }

  /** Each recipient with their push state (one bulk read of their notifications) and receipt. */
  private async rows(id: string, recipients: Recipient[]): Promise<RecipientRow[]> {
    const { recipients: store, notifications } = this.deps;
    const pushed = recipients.filter((r) => r.notificationId !== null);
    const [states, receipts] = await Promise.all([
      notifications.states(pushed.map((r) => r.notificationId as string)),
      store.receipts(
        id,
        recipients.map((r) => r.openid),
      ),
    ]);
    const stateOf = new Map(pushed.map((r, i) => [r.openid, states[i] ?? null]));
    return recipients.map((recipient, i) => {
      const push = pushStateOf(recipient, stateOf.get(recipient.openid));
      const receipt = receipts[i] ?? { readAt: null, confirmedAt: null };
      return { recipient, push, receipt, state: recipientState(push, receipt) };
    });
  }
}

function matches(row: RecipientRow, filter: RecipientFilter | undefined): boolean {
  switch (filter) {
    case undefined:
      return true;
    case 'unread':
      return row.receipt.readAt === null;
    case 'read':
      return row.receipt.readAt !== null;
    case 'confirmed':
      return row.receipt.confirmedAt !== null;
    default:
      return row.push === filter;
  }
}
