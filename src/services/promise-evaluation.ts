import { addDays, endOfDay, watcherOf } from '../domain/promise';
import type { Logger } from '../logger';
import type { PromiseStore } from '../store/promise-store';
import type { PromiseService } from './promise-service';

export interface PromiseEvaluationOptions {
  store: PromiseStore;
  promises: Pick<PromiseService, 'tell' | 'nameOf'>;
  logger: Logger;
  now: () => number;
  intervalMs?: number; // how often the ended days are looked for, default 10 s
  batchSize?: number; // promises read from the day index per round, default 200
  maxRounds?: number; // rounds per pass (a backlog after downtime drains over passes), default 20
}

/** What one pass did. */
export interface EvaluationCounts {
  evaluated: number; // days this instance gave a verdict on
  missed: number; // of which recorded missed
}

/**
 * The daily verdict (docs/architecture.md#promises): a day with no keep by its end in the
 * promise's zone is `missed`. Every instance runs a pass every `intervalMs` by its clock (`now`):
 * it reads the promises whose next day to evaluate has ended from the `promises:due` index (score
 * = that day's end) and runs evaluate-promise-day.lua for each, which gives the verdict once
 * whichever instance runs it. Only the instance whose call recorded `missed` tells the other
 * party, and only about the latest ended day: days missed while every instance was down are
 * recorded without a message each.
 */
export class PromiseEvaluation {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<EvaluationCounts> | undefined;

  constructor(private readonly options: PromiseEvaluationOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass now (the timer's, or a test's); a pass already running is shared. */
  run(): Promise<EvaluationCounts> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async tick(): Promise<void> {
    try {
      const { evaluated, missed } = await this.run();
      if (evaluated > 0) this.options.logger.debug({ evaluated, missed }, 'promise days evaluated');
    } catch (err) {
      // Redis away: the next pass picks the same days up.
      this.options.logger.debug({ err: (err as Error).message }, 'promise evaluation skipped');
    }
  }

  private async pass(): Promise<EvaluationCounts> {
    const { store, now } = this.options;
    const batchSize = this.options.batchSize ?? 200;
    const counts: EvaluationCounts = { evaluated: 0, missed: 0 };
    for (let round = 0; round < (this.options.maxRounds ?? 20); round++) {
      const due = await store.dueBatch(now(), batchSize);
      for (const { id } of due) await this.evaluate(id, counts);
      if (due.length < batchSize) break;
    }
    return counts;
  }

  private async evaluate(id: string, counts: EvaluationCounts): Promise<void> {
    const { store, now, promises } = this.options;
    const record = await store.get(id);
    if (!record || record.status !== 'active' || !record.nextEvalDay) {
      await store.unschedule(id);
      return;
    }
    const day = record.nextEvalDay;
    const at = now();
    if (endOfDay(day, record.timezone) > at) {
      await store.schedule(id, endOfDay(day, record.timezone)); // the index was behind the record
      return;
    }
    const nextDay = addDays(day, 1);
    const nextEnd = endOfDay(nextDay, record.timezone);
    const result = await store.evaluate(id, day, nextDay, nextEnd, at);
    if (result.verdict === 'gone') {
      await store.unschedule(id);
      return;
    }
    // Another instance evaluated this day: its next end, in case its own move did not happen.
    if (result.nextEnd !== null) await store.reschedule(id, result.nextEnd);
    if (result.verdict === 'stale') return;
    counts.evaluated += 1;
    if (result.verdict !== 'missed') return;
    counts.missed += 1;
    const watcher = watcherOf(record);
    if (watcher && nextEnd > at && record.keeper) {
      await promises.tell(record, {
        kind: 'missed',
        to: watcher,
        actorName: await promises.nameOf(record, record.keeper),
        day,
      });
    }
  }
}
