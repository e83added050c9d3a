import { addDays, dayOf, endOfDay, watcherOf } from '../domain/promise';
import {
  invalidRequest,
  promiseDayClosed,
  promiseEnded,
  promiseKeepForbidden,
  promiseNotFound,
} from '../errors';
import type { PromiseStore } from '../store/promise-store';
import type { PromiseSnapshot } from './promise-reader';
import type { PromiseService } from './promise-service';

/** What a keep did: the promise after it, the day, and whether this call kept it (false: already kept). */
export interface KeepResult {
  promise: PromiseSnapshot;
  date: string;
  changed: boolean;
}

/**
 * Keeping a promise's days (docs/architecture.md#promises): only the person reminded keeps, one
 * day at a time, while that day lasts in the promise's zone (keep-promise-day.lua); the first
 * keep of a day tells the other party, a second one changes nothing and tells nobody.
 */
export class PromiseKeeping {
  constructor(
    private readonly deps: {
      store: PromiseStore;
      promises: Pick<PromiseService, 'reader' | 'tell' | 'nameOf'>;
      now: () => number;
    },
  ) {}

  /** Marks `date` (default: today in the promise's zone) kept. */
  async keep(openid: string, id: string, date?: string): Promise<KeepResult> {
    const { store, promises, now } = this.deps;
    const record = await promises.reader.visible(openid, id);
    if (record.status !== 'active') throw promiseEnded();
    if (record.keeper !== openid) throw promiseKeepForbidden();
    const at = now();
    const today = dayOf(at, record.timezone);
    const day = date ?? today;
    if (day > today) {
      throw invalidRequest([
        { path: 'date', message: `must not be in the future (today is ${today} in ${record.timezone})` },
      ]);
    }
    if (!record.startDay || day < record.startDay) {
      const since = record.startDay
        ? `the promise started on ${record.startDay}`
        : 'the promise has not started';
      throw invalidRequest([{ path: 'date', message: `must not be before the promise started (${since})` }]);
    }
    const outcome = await store.keep(
      id,
      { openid, day, dayEnd: endOfDay(day, record.timezone), previousDay: addDays(day, -1) },
      at,
    );
    switch (outcome) {
      case 'kept':
      case 'unchanged':
        break;
      case 'closed':
        throw promiseDayClosed(day);
      case 'ended':
        throw promiseEnded();
      case 'forbidden':
        throw promiseKeepForbidden();
      case 'gone':
        throw promiseNotFound();
      case 'early':
        throw invalidRequest([{ path: 'date', message: 'must not be before the promise started' }]);
    }
    const kept = (await store.get(id)) ?? record;
    const watcher = watcherOf(kept);
    if (outcome === 'kept' && watcher) {
      await promises.tell(kept, {
        kind: 'kept',
        to: watcher,
        actorName: await promises.nameOf(kept, openid),
        day,
      });
    }
    return { promise: await promises.reader.snapshot(kept, openid), date: day, changed: outcome === 'kept' };
  }
}
