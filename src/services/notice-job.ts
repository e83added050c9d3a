import { inboxMember, type Notice, type NoticeJob, type Recipient } from '../domain/notice';
import type { JobClaim } from '../store/notice-store';
import { resolveAudience } from './notice-audience';
import { noticeNotification } from './notice-push';
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
    const category = this.options.categories.get(notice.category);
    if (!category) {
      // Removed from config/categories.json since: the inbox entries stand, no template to push with.
      this.options.logger.warn(
        { notice: notice.id, category: notice.category },
        'notice category unknown: no pushes',
      );
      return;
    }
    const due = chunk.filter((r) => r.notificationId === null && !r.muted);
    const published = { ...notice, publishedAt: this.claim.publishedAt };
    const made = await this.options.notifications.send(
      due.map((r) =>
        noticeNotification(published, category, r, {
          timezone: this.options.timezone,
          dedupe: `notice:${notice.id}:r${r.index}`,
        }),
      ),
    );
    due.forEach((r, i) => (r.notificationId = made[i]?.id ?? null));
    await this.options.recipients.saveRecipients(notice.id, chunk);
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
