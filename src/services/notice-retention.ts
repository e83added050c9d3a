import { inboxMember, type Notice } from '../domain/notice';
import type { Logger } from '../logger';
import type { InboxStore } from '../store/inbox-store';
import type { NoticeRecipientStore } from '../store/notice-recipient-store';
import type { NoticeStore } from '../store/notice-store';
import { isRedisUnavailable } from '../store/redis';
import type { NoticeGroups } from './notice-rules';

const CHUNK = 500; // recipients handled per step (one receipts read, one inbox write per shard, one MULTI)

export interface NoticeRetentionOptions {
  store: Pick<NoticeStore, 'retentionBatch' | 'get' | 'purge'>;
  recipients: Pick<NoticeRecipientStore, 'openids' | 'receipts' | 'forgetMany' | 'drop'>;
  inbox: Pick<InboxStore, 'remove'>;
  groups: Pick<NoticeGroups, 'membership'>;
  retentionMs: number; // RETENTION_DAYS in ms
  logger: Logger;
  now: () => number;
  batchSize?: number; // notice ids examined per run, default 200
  intervalMs?: number; // least time between two runs of this instance, default 2 min
  // What other features keep about a notice (its comments, its search postings), removed before
  // the notice hash so that a run stopped half-way finds the notice again and finishes.
  companions?: ((notice: Notice) => Promise<unknown>)[];
}

export interface NoticeRetentionRun {
  examined: number; // notice ids looked at
  entries: number; // inbox entries taken out, with their recipient records and receipts
  purged: number; // notices deleted with every key of theirs
}

/**
 * RETENTION_DAYS for notices (docs/architecture.md#retention), run by every instance:
 * - a published notice, RETENTION_DAYS after its publication: each recipient who read it (or
 *   confirmed it), and each who is no longer a member of any of its groups, loses its inbox entry
 *   with their recipient record and receipts. A recipient who has not read it and is still in one
 *   of its groups keeps it — an unread notice does not vanish unseen — until they read it or leave,
 *   and it goes at the next pass after that. Once no recipient is left, the notice goes: its hash,
 *   its recipients, order, read and confirm sets, its job's index entry, its author's index entry
 *   and its Idempotency-Key answer. Its stats are those records, so they go with them.
 * - a cancelled or retracted notice (its retraction done), RETENTION_DAYS after that change: the
 *   same keys.
 * - a scheduled notice, or one whose job (publication, retraction) still runs: nothing.
 * The pushes are notifications, which expire by themselves RETENTION_DAYS after their send.
 * Each run examines the next `batchSize` notice ids from a cursor every instance shares, so a run
 * is bounded and instances split a pass; every step re-reads what it removes, so two runs on the
 * same notice, or a run that stopped half-way, leave the same result.
 */
export class NoticeRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: NoticeRetentionOptions) {}

  start(): void {
    if (this.timer) return;
    // At least a second apart: a test tuning of 0 (retention on every sweep) must not spin.
    this.timer = setInterval(() => void this.tick(), Math.max(1000, this.options.intervalMs ?? 120_000));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One bounded run over the next notice ids. */
  async run(): Promise<NoticeRetentionRun> {
    const { store, retentionMs, now } = this.options;
    const ids = await store.retentionBatch(this.options.batchSize ?? 200);
    const cutoff = now() - retentionMs;
    const result: NoticeRetentionRun = { examined: ids.length, entries: 0, purged: 0 };
    for (const id of ids) {
      const notice = await store.get(id);
      if (!notice) continue;
      const outcome = await this.purgeOld(notice, cutoff);
      result.entries += outcome.entries;
      if (outcome.purged) result.purged += 1;
    }
    return result;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.run()
      .then(
        (run) => {
          if (run.entries > 0 || run.purged > 0)
            this.options.logger.info(run, 'purged notices older than RETENTION_DAYS');
        },
        (err: Error) => {
          if (!isRedisUnavailable(err))
            this.options.logger.warn({ err: err.message }, 'notice retention run failed');
        },
      )
      .finally(() => (this.running = undefined));
  }

  private async purgeOld(notice: Notice, cutoff: number): Promise<{ entries: number; purged: boolean }> {
    if (notice.job !== null) return { entries: 0, purged: false }; // its publication or retraction still runs
    if (notice.status === 'cancelled' || notice.status === 'retracted') {
      if (notice.updatedAt >= cutoff) return { entries: 0, purged: false };
      await this.drop(notice);
      return { entries: 0, purged: true };
    }
    if (notice.status !== 'published' || notice.publishedAt === null || notice.publishedAt >= cutoff) {
      return { entries: 0, purged: false };
    }
    const { recipients, inbox } = this.options;
    const member = inboxMember(notice.publishedAt, notice.id);
    const everyone = await recipients.openids(notice.id);
    let entries = 0;
    let left = everyone.length;
    for (let i = 0; i < everyone.length; i += CHUNK) {
      const chunk = everyone.slice(i, i + CHUNK);
      const gone = await this.leaving(notice, chunk);
      if (gone.length === 0) continue;
      await inbox.remove(gone, member, notice.category);
      left = await recipients.forgetMany(notice.id, gone);
      entries += gone.length;
    }
    if (left > 0) return { entries, purged: false };
    await this.drop(notice);
    return { entries, purged: true };
  }

  /** The recipients of `chunk` whose entry goes: read (or confirmed), or in none of the notice's groups now. */
  private async leaving(notice: Notice, chunk: string[]): Promise<string[]> {
    const { recipients, groups } = this.options;
    const receipts = await recipients.receipts(notice.id, chunk);
    const unread = chunk.filter((_, i) => (receipts[i]?.readAt ?? null) === null);
    const stays = new Set<string>();
    await Promise.all(
      unread.map(async (openid) => {
        const memberships = await Promise.all(
          notice.audience.groups.map((g) => groups.membership(g, openid)),
        );
        if (memberships.some((m) => m !== null)) stays.add(openid);
      }),
    );
    return chunk.filter((openid) => !stays.has(openid));
  }

  private async drop(notice: Notice): Promise<void> {
    for (const companion of this.options.companions ?? []) await companion(notice);
    await this.options.recipients.drop(notice.id);
    await this.options.store.purge(notice);
  }
}
