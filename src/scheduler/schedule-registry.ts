import schedule, { type Job } from 'node-schedule';

export interface ReconcileCounts {
  added: number;
  removed: number;
  rescheduled: number;
  unchanged: number;
}

export interface ScheduleRegistryOptions {
  onFire: (id: string, fireAt: number) => void; // called when a job's time comes (or has come)
  now?: () => number;
}

interface Entry {
  fireAt: number;
  job: Job | null; // null: already due when upserted, handed to onFire at once
}

/**
 * node-schedule jobs keyed by reminder id, one per reminder, for the occurrences the scheduler
 * chose to hold (those inside its horizon). Every change touches one job: upserting an unchanged
 * reminder does nothing, and nothing here cancels and rebuilds all jobs (close() only stops).
 * A timer firing is a hint: the dispatcher re-reads Redis and claims before sending.
 */
export class ScheduleRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: ScheduleRegistryOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  fireAtOf(id: string): number | undefined {
    return this.entries.get(id)?.fireAt;
  }

  /** The node-schedule job held for an id (tests check that unrelated jobs keep their identity). */
  jobOf(id: string): Job | null | undefined {
    return this.entries.get(id)?.job;
  }

  /** Holds a job for `id` at `fireAt`; returns what changed. */
  upsert(id: string, fireAt: number): 'added' | 'rescheduled' | 'unchanged' {
    if (this.closed) return 'unchanged';
    const current = this.entries.get(id);
    if (current && current.fireAt === fireAt) return 'unchanged';
    current?.job?.cancel();
    this.entries.set(id, { fireAt, job: this.schedule(id, fireAt) });
    return current ? 'rescheduled' : 'added';
  }

  remove(id: string): boolean {
    const current = this.entries.get(id);
    if (!current) return false;
    current.job?.cancel();
    this.entries.delete(id);
    return true;
  }

  /**
   * Makes the registry hold exactly `wanted` (id → fireAt), changing only what differs. Ids the
   * registry holds but `wanted` lacks are removed only if `owns(id)` says they fall inside the
   * range `wanted` was read from.
   */
  reconcile(wanted: Map<string, number>, owns: (fireAt: number) => boolean = () => true): ReconcileCounts {
    const counts: ReconcileCounts = { added: 0, removed: 0, rescheduled: 0, unchanged: 0 };
    for (const [id, fireAt] of wanted) counts[this.upsert(id, fireAt)] += 1;
    for (const [id, entry] of [...this.entries]) {
      if (!wanted.has(id) && owns(entry.fireAt) && this.remove(id)) counts.removed += 1;
    }
    return counts;
  }

  /** Stops every timer (shutdown only). */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) entry.job?.cancel();
    this.entries.clear();
  }

  private schedule(id: string, fireAt: number): Job | null {
    // node-schedule only ever receives a future Date; a due occurrence goes to the dispatcher now.
    if (fireAt <= this.now()) {
      setImmediate(() => this.fire(id, fireAt));
      return null;
    }
    return schedule.scheduleJob(new Date(fireAt), () => this.fire(id, fireAt));
  }

  private fire(id: string, fireAt: number): void {
    const entry = this.entries.get(id);
    if (!entry || entry.fireAt !== fireAt) return; // re-timed or removed meanwhile
    this.entries.delete(id);
    this.options.onFire(id, fireAt);
  }
}
