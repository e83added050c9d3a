import { inboxMember, noticeOfInboxMember } from '../domain/notice';
import type { InboxStore } from '../store/inbox-store';
import type { NoticeRecipientStore } from '../store/notice-recipient-store';
import type { NoticeStore } from '../store/notice-store';
import type { CategoryCatalog } from './notice-categories';
import { isoTime, type KeyFamily, type PersonalData } from './personal-data';

const CHUNK = 500; // inboxes a notice is taken out of per step when its author's data is erased
const JSON_FIELDS = ['audience', 'groupNames', 'attachments'];

const FAMILIES: readonly KeyFamily[] = [
  {
    pattern: 'notice:<tag>',
    about: 'hash: a notice the user wrote (author = their openid), with its publication job',
    notExported: ['jobOwner', 'jobUntil', 'cursor'], // an instance's claim on the job, not about the user
  },
  {
    pattern: 'notice:<tag>:recipients',
    about: 'hash of a notice: openid → the recipient as resolved',
    shared: true,
  },
  { pattern: 'notice:<tag>:order', about: 'zset of a notice: recipients’ openids by index', shared: true },
  { pattern: 'notice:<tag>:read', about: 'zset of a notice: who read it, score = when', shared: true },
  {
    pattern: 'notice:<tag>:confirmed',
    about: 'zset of a notice: who confirmed it, score = when',
    shared: true,
  },
  { pattern: 'notices:idem:<openid>:<key>', about: 'string: the notice an Idempotency-Key created' },
  { pattern: 'user:<openid>:notices', about: 'zset: the notices the user wrote' },
  { pattern: 'inbox:<tag>:<openid>', about: 'zset: the user’s inbox' },
  { pattern: 'inbox:<tag>:<openid>:unread', about: 'zset: the unread part of the inbox' },
  { pattern: 'inbox:<tag>:<openid>:muted', about: 'set: the notice categories the user muted' },
  {
    pattern: 'inbox:<tag>:<openid>:c:<category>',
    about: 'zset: the inbox entries of one category (and :unread)',
  },
];

/**
 * Notices as personal data: those the user wrote, those they received (their recipient record,
 * read and confirm receipts), their inbox and muted categories. Erasure deletes the notices they
 * wrote (taken out of every recipient's inbox first), takes them out of every notice they received,
 * and deletes their inbox and preferences. The pushes they were sent are notifications, the
 * notification service's records.
 */
export class NoticePersonalData implements PersonalData {
  readonly name = 'notices';
  readonly families = FAMILIES;

  constructor(
    private readonly deps: {
      store: NoticeStore;
      recipients: NoticeRecipientStore;
      inbox: InboxStore;
      categories: CategoryCatalog;
    },
  ) {}

  async export(openid: string): Promise<unknown> {
    const { store, recipients, inbox } = this.deps;
    const authoredIds = await store.authoredBy(openid);
    const authored = (await Promise.all(authoredIds.map((id) => store.raw(id))))
      .filter((hash) => hash.id)
      .map((hash) => {
        const { jobOwner: _owner, jobUntil: _until, cursor: _cursor, ...fields } = hash;
        const parsed: Record<string, unknown> = { ...fields };
        for (const field of JSON_FIELDS)
          if (fields[field]) parsed[field] = JSON.parse(fields[field]) as unknown;
        return parsed;
      });
    const received = await Promise.all(
      (await this.receivedIds(openid)).map(async (noticeId) => {
        const stored = await recipients.storedFor(noticeId, openid);
        return {
          noticeId,
          recipient: stored.record ? (JSON.parse(stored.record) as unknown) : null,
          index: stored.index,
          readAt: isoTime(stored.readAt),
          confirmedAt: isoTime(stored.confirmedAt),
        };
      }),
    );
    return {
      authored,
      received,
      inbox: await inbox.lists(openid, await this.categoriesOf(openid)),
      muted: await inbox.muted(openid),
    };
  }

  async erase(openid: string): Promise<number> {
    const { store, recipients, inbox } = this.deps;
    let erased = 0;
    for (const id of await store.authoredBy(openid)) {
      const notice = await store.get(id);
      if (notice?.publishedAt !== null && notice?.publishedAt !== undefined) {
        const member = inboxMember(notice.publishedAt, id);
        const everyone = await recipients.allRecipients(id);
        for (let i = 0; i < everyone.length; i += CHUNK) {
          await inbox.remove(
            everyone.slice(i, i + CHUNK).map((r) => r.openid),
            member,
            notice.category,
          );
        }
      }
      await recipients.drop(id);
      await store.purge(notice ?? { id, author: openid });
      erased += 1;
    }
    await store.dropAuthorIndex(openid);
    const categories = await this.categoriesOf(openid);
    const received = await this.receivedIds(openid);
    for (const id of received) await recipients.forget(id, openid);
    await inbox.drop(openid, categories);
    return erased + received.length;
  }

  private async receivedIds(openid: string): Promise<string[]> {
    return (await this.deps.inbox.all(openid)).map(noticeOfInboxMember);
  }

  /** The configured categories and those of the notices in the inbox (a category since removed). */
  private async categoriesOf(openid: string): Promise<string[]> {
    const notices = await this.deps.store.getMany(await this.receivedIds(openid));
    return [...new Set([...this.deps.categories.keys(), ...notices.flatMap((n) => (n ? [n.category] : []))])];
  }
}
