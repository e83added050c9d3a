import type { ReminderStore } from '../store/reminder-store';

/**
 * Statuses of reminders that will not fire again unless their owner re-arms them with a PATCH
 * (which the purge re-checks). `done` is the lifecycle's "marked done" (docs/architecture.md#retention).
 */
export const PURGEABLE_STATUSES: readonly string[] = [
  'sent',
  'failed',
  'missed',
  'no_quota',
  'rate_limited',
  'done',
  'cancelled',
];

export interface RetentionOptions {
  store: Pick<ReminderStore, 'retentionBatch' | 'purgeFinished'>;
  retentionMs: number; // RETENTION_DAYS in ms: records unchanged this long are purged
  batchSize?: number; // reminder ids examined per run, default 2,000
  now?: () => number;
}

export interface RetentionRun {
  examined: number; // reminder ids looked at
  purged: number; // reminders removed with their delivery records
}

/**
 * RETENTION_DAYS (docs/architecture.md#retention): finished and cancelled reminders, with their
 * delivery records, are purged once unchanged (`updatedAt`) for `retentionMs`. Each run examines
 * the next bounded range of reminder ids from a cursor every instance shares, so several instances
 * split the work, a run never blocks Redis or the sweep for long, and every reminder is looked at
 * once per pass however it finished (the send, a cancel, `done`, or records written before this
 * existed). A record thus lives RETENTION_DAYS plus at most one pass over the ids.
 */
export class Retention {
  private readonly now: () => number;
  private readonly batchSize: number;

  constructor(private readonly options: RetentionOptions) {
    this.now = options.now ?? Date.now;
    this.batchSize = options.batchSize ?? 2000;
  }

  async run(): Promise<RetentionRun> {
    const { store, retentionMs } = this.options;
    const ids = await store.retentionBatch(this.batchSize);
    const purged = await store.purgeFinished(ids, this.now() - retentionMs, PURGEABLE_STATUSES);
    return { examined: ids.length, purged };
  }
}
