import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { InboxStore } from '../store/inbox-store';
import type { NoticeRecipientStore } from '../store/notice-recipient-store';
import type { NoticeStore } from '../store/notice-store';
import { isRedisUnavailable } from '../store/redis';
import type { CategoryCatalog } from './notice-categories';
import { Job } from './notice-job';
import type { NoticeGroups } from './notice-rules';
import type { NotificationService } from './notification-service';

export interface NoticePublisherOptions {
  store: NoticeStore;
  recipients: NoticeRecipientStore;
  inbox: InboxStore;
  groups: Pick<NoticeGroups, 'members' | 'membersById'>;
  notifications: Pick<NotificationService, 'prepare' | 'sendPrepared'>;
  categories: CategoryCatalog;
  instanceId: string;
  timezone: string; // DEFAULT_TIMEZONE: the zone pushes show the publication time in
  logger: Logger;
  now: () => number;
  leaseMs?: number; // how long a claimed job is ours without progress, default 30 s
  sweepIntervalMs?: number; // how often due jobs are looked for, default 2 s
  // Recipients per chunk (inbox writes and pushes), default 100: small enough that a chunk's CPU
  // never holds up the sends of the pushes handed before it.
  chunkSize?: number;
  // Chunks a step works on at once, its progress recorded once for all, default 10 (CHUNKS_PER_STEP):
  // a step costs the same few round trips whatever its size.
  chunksPerStep?: number;
  /**
   * Sends waiting in this instance's delivery pipeline (DeliveryPipeline.pending). A publication
   * hands its next step over only while fewer than BACKLOG_HIGH wait: the pipeline always has work,
   * and its sends are not slowed down by a fan-out that runs far ahead of them.
   */
  backlog?: () => number;
}

/**
 * Publishes and retracts notices (docs/architecture.md#notices-to-groups), on whichever instance claims the job: a scheduled
 * notice at its `publishAt`, a new one at once after its create answered, a retraction from every
 * inbox. A job is claimed atomically with a lease (claim-notice-job.lua: a scheduled notice moves
 * to publishing once, however many instances sweep), then runs in chunks of recipients, each
 * step recorded with a compare-and-set on the claim (advance-notice-job.lua) that renews the lease.
 * An instance that dies mid-fan-out leaves the job in `notices:due` at its lease's end: another
 * instance's sweep takes it over from the last recorded chunk. A resumed chunk writes nothing twice:
 * inbox entries are written only when absent (write-inbox.lua), and each push carries a dedupe key
 * (`notice:<id>:r<index>`), so the notification service returns the one it made before.
 */
export class NoticePublisher {
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly leaseMs: number;
  private readonly chunkSize: number;

  constructor(private readonly options: NoticePublisherOptions) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.chunkSize = options.chunkSize ?? 100;
  }

  start(): void {
    if (this.timer) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 2000);
    this.timer.unref();
    void this.sweep();
  }

  /** Claims nothing more; jobs running here stop after their current chunk and give their claim back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * Runs the notice's job here, if it is due and nobody holds it (after a create or a delete):
   * from the next turn of the event loop, so that the answer of the request that asked for it
   * is written first, whatever the size of the audience.
   */
  kick(id: string): void {
    if (this.stopped) return;
    setImmediate(() => {
      if (!this.stopped) void this.run(id);
    });
  }

  /** Runs every due job once (the timer's, or a test's); resolves how many were due. */
  async sweep(): Promise<number> {
    if (this.stopped) return 0;
    try {
      const due = await this.options.store.dueJobs(this.options.now(), 100);
      await Promise.all(due.map((id) => this.run(id)));
      return due.length;
    } catch (err) {
      if (!isRedisUnavailable(err)) throw err;
      this.options.logger.debug({ err: (err as Error).message }, 'notice sweep skipped: redis unavailable');
      return 0;
    }
  }

  /** Jobs this instance is running now. */
  get active(): number {
    return this.running.size;
  }

  private run(id: string): Promise<void> {
    const known = this.running.get(id);
    if (known) return known;
    const work = this.claimAndWork(id)
      .catch((err: Error): boolean => {
        // Redis away, or a bug: the claim runs out and a sweep takes the job up again.
        this.options.logger.warn(
          { notice: id, err: err.message },
          'notice job not finished; it will be retried',
        );
        return false;
      })
      .then((again) => {
        this.running.delete(id);
        if (again && !this.stopped) return this.run(id);
      });
    this.running.set(id, work);
    return work;
  }

  /** Claims and runs the job; true when another job of the notice is due at once (a retraction replaced it). */
  private async claimAndWork(id: string): Promise<boolean> {
    const { store, now } = this.options;
    const owner = `${this.options.instanceId}:${randomUUID()}`;
    const claim = await store.claimJob(id, owner, now(), this.leaseMs);
    if (!claim.ok) {
      if (claim.reason === 'none' || claim.reason === 'gone') await this.settle(id);
      // The index follows the record: a notice edited to a later publishAt, a lease still held.
      else if (claim.at !== undefined) await store.schedule(id, claim.at);
      return false;
    }
    await store.schedule(id, now() + this.leaseMs); // found again by a sweep if this instance dies
    const notice = await store.get(id);
    if (!notice) return false;
    const job = new Job(this.options, notice, claim, owner, this.leaseMs, () => this.stopped);
    const result =
      claim.job === 'publish' ? await job.publish(this.chunkSize) : await job.retract(this.chunkSize);
    if (result === 'done') await this.settle(id);
    if (result === 'changed' || result === 'stopped') {
      // A retraction replaced the publication, or this instance stops: the job is someone's to take now.
      await store.releaseJob(id, owner);
      await store.schedule(id, now());
    }
    return result === 'changed';
  }

  /**
   * Takes a notice without a job out of the due index. A retraction that came in between has put
   * it back already, or comes after the re-read: either way its entry stays.
   */
  private async settle(id: string): Promise<void> {
    const { store, now } = this.options;
    await store.unschedule(id);
    if ((await store.get(id))?.job) await store.schedule(id, now());
  }
}
