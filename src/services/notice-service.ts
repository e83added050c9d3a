import {
  contentToHash,
  pushStateOf,
  recipientState,
  type Notice,
  type Recipient,
  type RecipientState,
} from '../domain/notice';
import { idempotencyKeyReused, noticeManagersOnly, noticeNotEditable, noticeNotFound } from '../errors';
import type { NoticeRecipientStore, Receipt } from '../store/notice-recipient-store';
import type { NoticeStore } from '../store/notice-store';
import type { TemplateCatalog } from '../wechat/templates';
import type { CategoryCatalog } from './notice-categories';
import type { NoticePublisher } from './notice-publisher';
import type { NoticeSearch } from './notice-search';
import type { NotificationService } from './notification-service';
import { checkNotice, type NoticeContent, type NoticeGroups, type NoticeInput } from './notice-rules';
import { CLEAN_SHAPE, type Shape } from './reminder-rules';

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600; // as a reminder create's

export interface NoticeServiceDeps {
  store: NoticeStore;
  recipients: NoticeRecipientStore;
  groups: NoticeGroups;
  publisher: Pick<NoticePublisher, 'kick'>;
  notifications: Pick<NotificationService, 'states'>;
  categories: CategoryCatalog;
  catalog: TemplateCatalog;
  timezone: string; // DEFAULT_TIMEZONE
  now: () => number;
  comments?: { publicCount(noticeId: string): Promise<number> }; // the comment count a notice shows
  search?: Pick<NoticeSearch, 'index' | 'unindex'>; // the search index, kept with every write
}

/** How the caller stands to a notice: manages it (every group of its audience), manages one of its groups, receives it. */
export interface NoticeAccess {
  notice: Notice;
  manages: boolean; // a manager of every group it addresses: edit, stats, recipients, remind
  managesSome: boolean; // a manager of at least one of them: may read it
  /** The caller as a recipient, with their state; null: not a recipient (or not resolved yet). */
  recipient: { record: Recipient; receipt: Receipt; state: RecipientState } | null;
  comments: number; // its public comments, seen by every reader (src/services/comment-service.ts)
}

/**
 * Notices (docs/architecture.md#notices-to-groups): create (published at once or scheduled), read, edit and cancel before
 * publication, retract after. Publication itself is NoticePublisher's (src/services/notice-publisher.ts);
 * inboxes, receipts and preferences are src/services/notice-inbox.ts, stats and reminders
 * src/services/notice-stats.ts. A notice is seen by its recipients and the managers of its groups;
 * anyone else is told it does not exist (404).
 */
export class NoticeService {
  constructor(private readonly deps: NoticeServiceDeps) {}

  /** A new notice (or, on a replayed Idempotency-Key, the first one as it is now). */
  async create(
    openid: string,
    input: Partial<NoticeInput>,
    options: { shape?: Shape; idempotency?: { key: string; fingerprint: string } } = {},
  ): Promise<{ access: NoticeAccess; replayed: boolean }> {
    const { store, now } = this.deps;
    const at = now();
    const content = await checkNotice(openid, input, options.shape ?? CLEAN_SHAPE, this.rules(at));
    const { idempotency } = options;
    let id = await store.nextId();
    if (idempotency) {
      const held = await store.claimIdempotency(openid, idempotency.key, id, IDEMPOTENCY_TTL_SECONDS);
      if (held !== null) {
        const first = await store.get(held);
        if (first) {
          if (first.author !== openid || first.requestHash !== idempotency.fingerprint)
            throw idempotencyKeyReused();
          return { access: await this.access(openid, held), replayed: true };
        }
        id = held; // the first create stopped between its key and its record: finished now
      }
    }
    const scheduled = content.publishAt > at;
    const notice: Notice = {
      id,
      author: openid,
      ...content,
      publishedAt: scheduled ? null : at,
      status: scheduled ? 'scheduled' : 'publishing',
      job: 'publish',
      recipients: null,
      inboxed: 0,
      createdAt: at,
      updatedAt: at,
      ...(idempotency ? { requestHash: idempotency.fingerprint, idempotencyKey: idempotency.key } : {}),
    };
    if (!(await store.create(notice))) return { access: await this.access(openid, id), replayed: true };
    await this.deps.search?.index(notice);
    // The fan-out runs after the answer (and, should this instance die, on another one).
    if (!scheduled) this.deps.publisher.kick(id);
    // The record just written is the answer; its author manages every group it addresses.
    return {
      access: { notice, manages: true, managesSome: true, recipient: null, comments: 0 },
      replayed: false,
    };
  }

  /** The notice as the caller may see it: 404 unless a recipient or a manager of one of its groups. */
  async view(openid: string, id: string): Promise<NoticeAccess> {
    const access = await this.access(openid, id);
    if (!access.manages && !access.managesSome && !access.recipient) throw noticeNotFound();
    // A recipient sees it from its publication on (a push may arrive while the fan-out still runs),
    // not once retracted; its managers see it in every status.
    const { status } = access.notice;
    if (!access.manages && !access.managesSome && status !== 'published' && status !== 'publishing') {
      throw noticeNotFound();
    }
    return access;
  }

  /** The notice when the caller manages it (every group of its audience): 403 for a recipient, else 404. */
  async managed(openid: string, id: string): Promise<NoticeAccess> {
    const access = await this.view(openid, id);
    if (!access.manages) throw noticeManagersOnly();
    return access;
  }

  /** Edits a scheduled notice (its author or its managers); re-checked as a create is. */
  async update(
    openid: string,
    id: string,
    input: Partial<NoticeInput>,
    shape: Shape = CLEAN_SHAPE,
  ): Promise<NoticeAccess> {
    const { store, now } = this.deps;
    const { notice } = await this.managed(openid, id);
    if (notice.status !== 'scheduled') throw noticeNotEditable(notice.status);
    const at = now();
    const content: NoticeContent = await checkNotice(openid, input, shape, this.rules(at), notice);
    const result = await store.update(id, { ...contentToHash(content), updatedAt: String(at) });
    if (result === '') throw noticeNotFound();
    if (result !== 'ok') throw noticeNotEditable(result);
    await store.schedule(id, content.publishAt);
    await this.deps.search?.index({ ...notice, ...content }, notice);
    return this.view(openid, id);
  }

  /**
   * DELETE: cancels a scheduled notice (never published), retracts a published one from every
   * inbox (the removal runs after the answer). Its author may, and its managers.
   */
  async remove(openid: string, id: string): Promise<NoticeAccess> {
    const { store, now } = this.deps;
    const access = await this.access(openid, id);
    if (access.notice.author !== openid && !access.manages) {
      if (access.managesSome || access.recipient) throw noticeManagersOnly();
      throw noticeNotFound();
    }
    const outcome = await store.delete(id, now());
    if (outcome === 'gone') throw noticeNotFound();
    await this.deps.search?.unindex(access.notice);
    if (outcome === 'retracted') this.deps.publisher.kick(id);
    return this.access(openid, id);
  }

  /** How `openid` stands to notice `id` (404 when there is none). */
  async access(openid: string, id: string): Promise<NoticeAccess> {
    const { store, recipients, groups } = this.deps;
    const notice = /^\d{1,15}$/.test(id) ? await store.get(id) : null;
    if (!notice) throw noticeNotFound();
    const [memberships, recipient, receipts, comments] = await Promise.all([
      Promise.all(notice.audience.groups.map((g) => groups.membership(g, openid))),
      recipients.recipient(id, openid),
      recipients.receipts(id, [openid]),
      this.deps.comments ? this.deps.comments.publicCount(id) : 0,
    ]);
    const managed = memberships.map((m) => groups.isManager(m));
    let mine: NoticeAccess['recipient'] = null;
    if (recipient) {
      const receipt = receipts[0] ?? { readAt: null, confirmedAt: null };
      const [push] = recipient.notificationId
        ? await this.deps.notifications.states([recipient.notificationId])
        : [];
      mine = { record: recipient, receipt, state: recipientState(pushStateOf(recipient, push), receipt) };
    }
    return {
      notice,
      manages: managed.length > 0 && managed.every(Boolean),
      managesSome: managed.some(Boolean),
      recipient: mine,
      comments,
    };
  }

  private rules(now: number) {
    const { groups, categories, catalog, timezone } = this.deps;
    return { groups, categories, catalog, timezone, now };
  }
}
