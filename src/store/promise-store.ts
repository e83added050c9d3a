import { promiseFromHash, promiseToHash, type DayVerdict, type PromiseRecord } from '../domain/promise';
import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const acceptPromise = new LuaScript('accept-promise');
const bindPromiseReminder = new LuaScript('bind-promise-reminder');
const unbindPromise = new LuaScript('unbind-promise');
const keepPromiseDay = new LuaScript('keep-promise-day');
const evaluatePromiseDay = new LuaScript('evaluate-promise-day');
const endPromise = new LuaScript('end-promise');
const createPromise = new LuaScript('create-promise');

// How long an invite's lookup key outlives the invite, so that a late tap answers 410 (expired)
// rather than 404 (unknown) for a month.
const INVITE_LOOKUP_GRACE_MS = 30 * 86_400_000;

export type AcceptOutcome = 'accepted' | 'mine' | 'taken' | 'own' | 'expired' | 'unknown';
export type BindOutcome = 'ok' | 'bound' | 'ended' | 'changed';
export type KeepOutcome = 'kept' | 'unchanged' | 'closed' | 'ended' | 'forbidden' | 'early' | 'gone';
export type EndOutcome = 'ended' | 'already' | 'forbidden' | 'gone';
export type Verdict = { verdict: 'missed' | 'kept' | 'stale'; nextEnd: number | null } | { verdict: 'gone' };

/**
 * Promises in Redis (README.md#redis-keys): the record `promise:{<id>}` and its days
 * `promise:{<id>}:days` change together in one script each (one hash tag per promise, so each
 * script stays in one cluster slot); the invite lookup, the users' indexes and the `promises:due`
 * index are single-key writes beside them, each one idempotent, so a step repeated after a crash
 * is harmless.
 */
export class PromiseStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** A new id from the reminder counter: a `give` promise shares its reminder's id. */
  async nextId(): Promise<string> {
    return String(await this.redis.incr(this.keys.reminderSeq()));
  }

  /** The value a create's Idempotency-Key holds (a reminder or promise id), or null. */
  async idempotencyOf(openid: string, key: string): Promise<string | null> {
    return this.redis.get(this.keys.idempotency(openid, key));
  }

  /** Takes the Idempotency-Key for promise `id`; null when taken, else the id it already names. */
  async claimIdempotency(
    openid: string,
    key: string,
    id: string,
    ttlSeconds: number,
  ): Promise<string | null> {
    const k = this.keys.idempotency(openid, key);
    const set = await this.redis.set(k, id, {
      condition: 'NX',
      expiration: { type: 'EX', value: ttlSeconds },
    });
    return set === 'OK' ? null : ((await this.redis.get(k)) ?? id);
  }

  /** Writes a new record; false when one with its id exists already (the first writer's stands). */
  async write(record: PromiseRecord): Promise<boolean> {
    const pairs = Object.entries(promiseToHash(record)).flat();
    return (await createPromise.run<number>(this.redis, [this.keys.promise(record.id)], pairs)) === 1;
  }

  /** Makes a written promise reachable: its invite, its author's index and (when due) its day index. */
  async publish(record: PromiseRecord): Promise<void> {
    const k = this.keys;
    const multi = this.redis
      .multi()
      .set(k.promiseInvite(record.inviteCode), record.id, {
        expiration: { type: 'PXAT', value: record.inviteExpiresAt + INVITE_LOOKUP_GRACE_MS },
      })
      .zAdd(k.userPromises(record.author), { score: Number(record.id), value: record.id });
    if (record.nextEvalEnd !== null) {
      multi.zAdd(k.promisesDue(), { score: record.nextEvalEnd, value: record.id }, { comparison: 'GT' });
    }
    await multi.execAsPipeline();
  }

  async get(id: string): Promise<PromiseRecord | null> {
    return promiseFromHash(await this.redis.hGetAll(this.keys.promise(id)));
  }

  async getMany(ids: readonly string[]): Promise<(PromiseRecord | null)[]> {
    if (ids.length === 0) return [];
    const multi = this.redis.multi();
    for (const id of ids) multi.hGetAll(this.keys.promise(id));
    const hashes = (await multi.execAsPipeline()) as unknown as Record<string, string>[];
    return hashes.map((h) => promiseFromHash(h));
  }

  /** Ids of the user's promises, newest first, after `cursor` (an id), at most `limit`. */
  async listIds(openid: string, cursor: string | undefined, limit: number): Promise<string[]> {
    return this.redis.zRange(this.keys.userPromises(openid), cursor ? `(${cursor}` : '+inf', '-inf', {
      BY: 'SCORE',
      REV: true,
      LIMIT: { offset: 0, count: limit },
    });
  }

  /** Every promise id of the user (export, erase); bounded by what one person can make and accept. */
  async allIds(openid: string): Promise<string[]> {
    return this.redis.zRange(this.keys.userPromises(openid), 0, -1);
  }

  async inviteLookup(code: string): Promise<string | null> {
    return this.redis.get(this.keys.promiseInvite(code));
  }

  async accept(id: string, code: string, openid: string, now: number): Promise<AcceptOutcome> {
    return acceptPromise.run<AcceptOutcome>(this.redis, [this.keys.promise(id)], [code, openid, now]);
  }

  async unbind(id: string, openid: string, now: number): Promise<boolean> {
    return (await unbindPromise.run<string>(this.redis, [this.keys.promise(id)], [openid, now])) === 'ok';
  }

  async bindReminder(
    id: string,
    bind: { keeper: string; reminderId: string; startDay: string; dayEnd: number },
    now: number,
  ): Promise<BindOutcome> {
    const { keeper, reminderId, startDay, dayEnd } = bind;
    return bindPromiseReminder.run<BindOutcome>(
      this.redis,
      [this.keys.promise(id)],
      [keeper, reminderId, startDay, dayEnd, now],
    );
  }

  async addToUser(openid: string, id: string): Promise<void> {
    await this.redis.zAdd(this.keys.userPromises(openid), { score: Number(id), value: id });
  }

  /** Puts the promise in the day index at `dayEnd`, never moving it back. */
  async schedule(id: string, dayEnd: number): Promise<void> {
    await this.redis.zAdd(this.keys.promisesDue(), { score: dayEnd, value: id }, { comparison: 'GT' });
  }

  /** Moves an indexed promise on to `dayEnd` (never back, never re-adding one taken out). */
  async reschedule(id: string, dayEnd: number): Promise<void> {
    await this.redis.zAdd(
      this.keys.promisesDue(),
      { score: dayEnd, value: id },
      { condition: 'XX', comparison: 'GT' },
    );
  }

  async unschedule(id: string): Promise<void> {
    await this.redis.zRem(this.keys.promisesDue(), id);
  }

  /** Promises whose next day to evaluate has ended by `now`, earliest first. */
  async dueBatch(now: number, limit: number): Promise<{ id: string; dayEnd: number }[]> {
    const entries = await this.redis.zRangeWithScores(this.keys.promisesDue(), '-inf', now, {
      BY: 'SCORE',
      LIMIT: { offset: 0, count: limit },
    });
    return entries.map((e) => ({ id: e.value, dayEnd: e.score }));
  }

  async keep(
    id: string,
    day: { openid: string; day: string; dayEnd: number; previousDay: string },
    now: number,
  ): Promise<KeepOutcome> {
    return keepPromiseDay.run<KeepOutcome>(
      this.redis,
      [this.keys.promise(id), this.keys.promiseDays(id)],
      [day.openid, day.day, day.dayEnd, now, day.previousDay],
    );
  }

  async evaluate(id: string, day: string, nextDay: string, nextEnd: number, now: number): Promise<Verdict> {
    const [verdict, end] = await evaluatePromiseDay.run<[string, string]>(
      this.redis,
      [this.keys.promise(id), this.keys.promiseDays(id)],
      [day, nextDay, nextEnd, now],
    );
    if (verdict === 'gone') return { verdict: 'gone' };
    const nextEndMs = end ? Number(end) : null;
    if (verdict === 'missed' || verdict === 'kept') return { verdict, nextEnd: nextEndMs };
    return { verdict: 'stale', nextEnd: nextEndMs };
  }

  async end(id: string, openid: string, now: number): Promise<EndOutcome> {
    return endPromise.run<EndOutcome>(this.redis, [this.keys.promise(id)], [openid, now]);
  }

  /** After an end: the invite accepts nobody and the day index forgets the promise. */
  async retire(record: PromiseRecord): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.promiseInvite(record.inviteCode))
      .zRem(this.keys.promisesDue(), record.id)
      .execAsPipeline();
  }

  /** Verdicts of the given days (missing: no verdict). */
  async days(id: string, days: readonly string[]): Promise<Map<string, DayVerdict>> {
    if (days.length === 0) return new Map();
    const values = await this.redis.hmGet(this.keys.promiseDays(id), [...days]);
    const found = new Map<string, DayVerdict>();
    days.forEach((day, i) => {
      const value = values[i];
      if (value === 'kept' || value === 'missed') found.set(day, value);
    });
    return found;
  }

  /** Every day with a verdict (export). */
  async allDays(id: string): Promise<Record<string, string>> {
    return this.redis.hGetAll(this.keys.promiseDays(id));
  }

  /** Deletes a promise and everything that names it (erase): record, days, invite, indexes. */
  async purge(record: PromiseRecord): Promise<void> {
    const k = this.keys;
    const multi = this.redis
      .multi()
      .del([k.promise(record.id), k.promiseDays(record.id)]) // one hash tag: one slot
      .del(k.promiseInvite(record.inviteCode))
      .zRem(k.promisesDue(), record.id)
      .zRem(k.userPromises(record.author), record.id);
    if (record.counterpart) multi.zRem(k.userPromises(record.counterpart), record.id);
    if (record.idempotencyKey) multi.del(k.idempotency(record.author, record.idempotencyKey));
    await multi.execAsPipeline();
  }

  /** Drops the user's promise index (erase, once every promise in it is purged). */
  async dropUserIndex(openid: string): Promise<void> {
    await this.redis.del(this.keys.userPromises(openid));
  }

  /** The display name on a user's profile (`user:<openid>` field `displayName`), when one is set. */
  async profileName(openid: string): Promise<string | null> {
    return (await this.redis.hGet(this.keys.user(openid), 'displayName')) || null;
  }

  /** Undoes a write whose Idempotency-Key turned out to be another request's. */
  async discard(id: string): Promise<void> {
    await this.redis.del([this.keys.promise(id), this.keys.promiseDays(id)]);
  }
}
