import { inboxMember, type Notice, type NoticeJob, type Recipient } from '../domain/notice';
import type { JobClaim } from '../store/notice-store';
import { resolveAudience } from './notice-audience';
import { noticePushContent } from './notice-push';
import { NotificationRenderError, type PreparedNotification } from './notification-service';
import type { NoticePublisherOptions } from './notice-publisher';

/** Chunks a fan-out step works on at once (NoticePublisherOptions.chunksPerStep's default). */
export const CHUNKS_PER_STEP = 10;

export type JobResult = 'done' | 'lost' | 'changed' | 'stopped';
const BACKLOG_HIGH = 2000; // sends waiting in the pipeline above which a publication waits to go on
const PACE_MAX_MS = 5000; // the longest a step waits for the backlog (well within the 30 s lease)

/**
 * One claimed notice job (src/services/notice-publisher.ts), run chunk by chunk: the publication
 * (resolve the audience once, then inbox entries and pushes) or the retraction (inbox entries out).
 */
export class Job {
  private cursor: number;
  private recipients: number | null;
  private readonly pushes = new Map<string, PreparedNotification | null>(); // by first audience group

  constructor(
    private readonly options: NoticePublisherOptions,
    private readonly notice: Notice,
    private readonly claim: Extract<JobClaim, { ok: true }>,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly stopping: () => boolean,
  ) {
    this.cursor = claim.cursor;
    this.recipients = claim.recipients;
  }

  async publish(chunkSize: number): Promise<JobResult> {
    const { recipients, groups } = this.options;
    const { notice } = this;
    let resolved: Recipient[] | null = null; // the list, when this run resolved it (no read back)
    if (this.recipients === null) {
      // Resolved once: a takeover after this step reuses the stored list.
      resolved = await resolveAudience(groups, notice.audience, notice.author);
      await recipients.writeRecipients(notice.id, resolved);
      const step = await this.advance('publish', 0, 0, resolved.length);
      if (step !== 'ok') return step;
      this.recipients = resolved.length;
    }
    const member = inboxMember(this.claim.publishedAt, notice.id);
    const total = this.recipients;
    const step = await this.inWaves(
      chunkSize,
      total,
      'publish',
      (n) => Math.min(n, total),
      async (from) => {
        const chunk = resolved
          ? resolved.slice(from, from + chunkSize)
          : await recipients.recipientRange(notice.id, from, chunkSize);
        const muted = await this.options.inbox.deliver(
          chunk.map((r) => r.openid),
          member,
          notice.category,
        );
        await this.push(
          chunk.map((r, i) => ({ ...r, muted: (muted[i] ?? false) && notice.urgency !== 'urgent' })),
        );
      },
    );
    return step === 'ok' ? this.finish('publish') : step;
  }

  async retract(chunkSize: number): Promise<JobResult> {
    const { recipients, inbox } = this.options;
    const { notice } = this;
    const total = this.recipients ?? 0; // never resolved: no inbox entry was written
    const member = inboxMember(this.claim.publishedAt, notice.id);
    const step = await this.inWaves(
      chunkSize,
      total,
      'retract',
      (n) => Math.max(0, total - n),
      async (from) => {
        const chunk = await recipients.recipientRange(notice.id, from, chunkSize);
        await inbox.remove(
          chunk.map((r) => r.openid),
          member,
          notice.category,
        );
      },
    );
    if (step !== 'ok') return step;
    const done = await this.finish('retract');
    // Retracted: who received and read it is nobody's business any more.
    if (done === 'done') await recipients.drop(notice.id);
    return done;
  }

  /**
   * Runs `chunk` from the cursor to `total`, `chunksPerStep` chunks at a time (so that the pushes reach the
   * pipeline well ahead of what it sends: a step's round trips wait behind the sends' on a busy
   * connection), and records each wave with `advance`; a crash redoes at most one wave, which
   * writes nothing twice.
   */
  private async inWaves(
    chunkSize: number,
    total: number,
    job: NoticeJob,
    inboxed: (cursor: number) => number,
    chunk: (from: number) => Promise<void>,
  ): Promise<JobResult | 'ok'> {
    while (this.cursor < total) {
      if (job === 'publish') await this.pace();
      if (this.stopping()) return 'stopped';
      const starts: number[] = [];
      const wave = this.options.chunksPerStep ?? CHUNKS_PER_STEP;
      for (let from = this.cursor; from < total && starts.length < wave; from += chunkSize) starts.push(from);
      await Promise.all(starts.map(chunk));
      const next = this.cursor + starts.length * chunkSize;
      const step = await this.advance(job, next, inboxed(next));
      if (step !== 'ok') return step;
      this.cursor = next;
    }
    return 'ok';
  }

  /** Waits while the pipeline has enough to send (at most PACE_MAX_MS: a paused pipeline holds its backlog). */
  private async pace(): Promise<void> {
    const { backlog } = this.options;
    if (!backlog) return;
    const until = Date.now() + PACE_MAX_MS;
    while (backlog() > BACKLOG_HIGH && Date.now() < until && !this.stopping()) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Hands one push per recipient of the chunk who is not muted and has none yet, and records them. */
  private async push(chunk: Recipient[]): Promise<void> {
    const { notice } = this;
    const due = chunk.filter((r) => r.notificationId === null && !r.muted);
    const byGroup = new Map<string, Recipient[]>();
    for (const r of due) {
      const groupId = r.groups[0] ?? '';
      const members = byGroup.get(groupId);
      if (members) members.push(r);
      else byGroup.set(groupId, [r]);
    }
    await Promise.all(
      [...byGroup].map(async ([groupId, members]) => {
        const prepared = this.prepared(groupId);
        if (!prepared) return;
        const made = await this.options.notifications.sendPrepared(
          prepared,
          members.map((r) => ({ openid: r.openid, dedupe: `notice:${notice.id}:r${r.index}` })),
        );
        members.forEach((r, i) => (r.notificationId = made[i]?.id ?? null));
      }),
    );
    await this.options.recipients.saveRecipients(notice.id, chunk); // their pushes, and who muted
  }

  /**
   * The push to the members of `groupId`, rendered and checked once for the whole fan-out (the
   * create checked it already; a category or template changed since is caught here, once); null
   * when it cannot be sent: the inbox entries stand, their pushes stay pending.
   */
  private prepared(groupId: string): PreparedNotification | null {
    const known = this.pushes.get(groupId);
    if (known !== undefined) return known;
    const { notice, options } = this;
    const category = options.categories.get(notice.category);
    let prepared: PreparedNotification | null = null;
    if (!category) {
      // Removed from config/categories.json since: no template to push with.
      options.logger.warn(
        { notice: notice.id, category: notice.category },
        'notice category unknown: no pushes',
      );
    } else {
      const published = { ...notice, publishedAt: this.claim.publishedAt };
      try {
        prepared = options.notifications.prepare(
          noticePushContent(published, category, groupId, { timezone: options.timezone }),
        );
      } catch (err) {
        if (!(err instanceof NotificationRenderError)) throw err;
        options.logger.warn(
          { notice: notice.id, group: groupId, err: err.message },
          'notice push cannot be rendered: no pushes',
        );
      }
    }
    this.pushes.set(groupId, prepared);
    return prepared;
  }

  private async advance(
    job: NoticeJob,
    cursor: number,
    inboxed: number,
    recipients?: number,
  ): Promise<JobResult | 'ok'> {
    const { store, now } = this.options;
    const at = now();
    // The due index is a hint: moved on beside the step's record, not after it (one round trip).
    const [step] = await Promise.all([
      store.advanceJob(this.notice.id, {
        owner: this.owner,
        job,
        cursor,
        inboxed,
        now: at,
        leaseMs: this.leaseMs,
        ...(recipients !== undefined ? { recipients } : {}),
      }),
      store.schedule(this.notice.id, at + this.leaseMs),
    ]);
    return step;
  }

  private async finish(job: NoticeJob): Promise<JobResult> {
    const step = await this.options.store.finishJob(this.notice.id, this.owner, job, this.options.now());
    return step === 'ok' ? 'done' : step;
  }
}
