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
  // True while what onFire was handed for (id, fireAt) is still queued or in flight: a reconcile
  // does not fire it again. During a spike every sweep finds thousands of those in the due index.
  handedOver?: (id: string, fireAt: number) => boolean;
}

// One node-schedule job per distinct fire instant, shared by every id due then. node-schedule runs
// co-timed invocations one per setTimeout (each ≥ 1 ms apart), so 10,000 jobs due at 08:30:00
// would take over 10 s just to fire; one job per instant fires them all in one tick.
interface Slot {
  ids: Set<string>;
  job: Job | null; // null: already due when created, handed to onFire at once
}

/**
 * node-schedule jobs for the reminders the scheduler chose to hold (those inside its horizon),
 * keyed by reminder id; reminders due at the same instant share one job. Every change touches one
 * reminder: upserting an unchanged reminder does nothing, and nothing here cancels and rebuilds
 * all jobs (close() only stops). A timer firing is a hint: the dispatcher re-reads Redis and
 * claims before sending.
 */
export class ScheduleRegistry {
  private readonly entries = new Map<string, number>(); // id → fireAt
  private readonly slots = new Map<number, Slot>(); // fireAt → the ids due then and their job
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
    return this.entries.get(id);
  }

  /** The node-schedule job that fires `id` (tests check that unrelated jobs keep their identity). */
  jobOf(id: string): Job | null | undefined {
    const fireAt = this.entries.get(id);
    return fireAt === undefined ? undefined : this.slots.get(fireAt)?.job;
  }

  /** Holds a job for `id` at `fireAt`; returns what changed. */
  upsert(id: string, fireAt: number): 'added' | 'rescheduled' | 'unchanged' {
    if (this.closed) return 'unchanged';
    const current = this.entries.get(id);
    if (current === fireAt) return 'unchanged';
    if (current !== undefined) this.leave(id, current);
    this.entries.set(id, fireAt);
    this.join(id, fireAt);
    return current !== undefined ? 'rescheduled' : 'added';
  }

  remove(id: string): boolean {
    const current = this.entries.get(id);
    if (current === undefined) return false;
    this.leave(id, current);
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
    const handedOver = this.options.handedOver;
    for (const [id, fireAt] of wanted) {
      // Fired already and not finished: leave it to the holder; once it lets go (sent, or dropped
      // because its claim failed) the next reconcile fires it again if it is still due.
      if (handedOver && !this.entries.has(id) && handedOver(id, fireAt)) counts.unchanged += 1;
      else counts[this.upsert(id, fireAt)] += 1;
    }
    for (const [id, fireAt] of [...this.entries]) {
      if (!wanted.has(id) && owns(fireAt) && this.remove(id)) counts.removed += 1;
    }
    return counts;
  }

  /** Stops every timer (shutdown only). */
  close(): void {
    this.closed = true;
    for (const slot of this.slots.values()) slot.job?.cancel();
    this.slots.clear();
    this.entries.clear();
  }

  private join(id: string, fireAt: number): void {
    let slot = this.slots.get(fireAt);
    if (!slot) {
      slot = { ids: new Set(), job: this.schedule(fireAt) };
      this.slots.set(fireAt, slot);
    }
    slot.ids.add(id);
  }

  private leave(id: string, fireAt: number): void {
    const slot = this.slots.get(fireAt);
    if (!slot) return;
    slot.ids.delete(id);
    if (slot.ids.size > 0) return;
    slot.job?.cancel();
    this.slots.delete(fireAt);
  }

  private schedule(fireAt: number): Job | null {
    // node-schedule only ever receives a future Date; a due occurrence goes to the dispatcher now.
    if (fireAt <= this.now()) {
      setImmediate(() => this.fire(fireAt));
      return null;
    }
    return schedule.scheduleJob(new Date(fireAt), () => this.fire(fireAt));
  }

  private fire(fireAt: number): void {
    const slot = this.slots.get(fireAt);
    if (!slot) return; // every id was re-timed or removed meanwhile
    this.slots.delete(fireAt);
    for (const id of slot.ids) {
      if (this.entries.get(id) !== fireAt) continue;
      this.entries.delete(id);
      this.options.onFire(id, fireAt);
    }
  }
}
