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
 * index live in other slots and are single-key writes beside them, in the order each method
 * documents, each one idempotent, so a step repeated after a crash is harmless and a step lost to
 * one is redone by the retried request (a create's Idempotency-Key, an end, an erase) or skipped
 * by every reader (an index entry whose record is gone). No call spans two slots.
 */
export class PromiseStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * A new id for an `ask`, reserved from the reminder id space: one INCR of the author's shard's
   * reminder counter (Keys.reminderShardSeq), whose id no reminder will get. A `give` shares its
   * reminder's id (the original client reads it as that reminder), so no promise id is ever another
   * promise's or a reminder's other than its own give reminder's.
   */
  async nextId(openid: string): Promise<string> {
    const shard = this.keys.userShard(openid);
    return this.keys.reminderId(shard, await this.redis.incr(this.keys.reminderShardSeq(shard)));
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

  /**
   * Writes a new record, after listing it in its author's index (another slot: first, so that
   * erasing the author finds any record written, even by a create that stopped here); false when
   * a record with its id exists already (the first writer's stands).
   */
  async write(record: PromiseRecord): Promise<boolean> {
    const listed = await this.addToUser(record.author, record.id);
    const pairs = Object.entries(promiseToHash(record)).flat();
    if ((await createPromise.run<number>(this.redis, [this.keys.promise(record.id)], pairs)) === 1)
      return true;
    if (listed) await this.removeFromUser(record.author, record.id); // the id is another record's
    return false;
  }

  /**
   * Makes a written promise reachable: its invite and (when due) its day index, each its own slot,
   * written after the record and its author's index (write()). Each write is idempotent, and a
   * create replayed with its Idempotency-Key publishes again (PromiseService), which finishes one
   * that stopped between them.
   */
  async publish(record: PromiseRecord): Promise<void> {
    const k = this.keys;
    await this.redis.set(k.promiseInvite(record.inviteCode), record.id, {
      expiration: { type: 'PXAT', value: record.inviteExpiresAt + INVITE_LOOKUP_GRACE_MS },
    });
    if (record.nextEvalEnd !== null) await this.schedule(record.id, record.nextEvalEnd);
  }

  async get(id: string): Promise<PromiseRecord | null> {
    return promiseFromHash(await this.redis.hGetAll(this.keys.promise(id)));
  }

  async getMany(ids: readonly string[]): Promise<(PromiseRecord | null)[]> {
    // One command per promise (each its own slot); the client pipelines them on one Redis.
    const hashes = await Promise.all(ids.map((id) => this.redis.hGetAll(this.keys.promise(id))));
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

  /** Lists a promise in a user's index; true when it was not listed yet. */
  async addToUser(openid: string, id: string): Promise<boolean> {
    const added = await this.redis.zAdd(
      this.keys.userPromises(openid),
      { score: Number(id), value: id },
      { condition: 'NX' },
    );
    return added === 1;
  }

  async removeFromUser(openid: string, id: string): Promise<void> {
    await this.redis.zRem(this.keys.userPromises(openid), id);
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

  /**
   * After an end: the day index forgets the promise and the invite accepts nobody (two slots, one
   * after the other; both idempotent, and a retried end runs this again, also on 'already').
   */
  async retire(record: PromiseRecord): Promise<void> {
    await this.unschedule(record.id);
    await this.redis.del(this.keys.promiseInvite(record.inviteCode));
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

  /**
   * Deletes a promise and everything that names it (erase), one slot at a time: what points to it
   * without naming a person's list first (the day index, the invite, the Idempotency-Key), then the
   * record with its days, then both parties' index entries. A crash before the record goes leaves
   * it in the erased user's index, so the erase retried does it all again; after, only index
   * entries naming a missing record are left, which every reader skips (the erased user's whole
   * index goes at the end of their erase: dropUserIndex).
   */
  async purge(record: PromiseRecord): Promise<void> {
    const k = this.keys;
    await this.unschedule(record.id);
    await this.redis.del(k.promiseInvite(record.inviteCode));
    if (record.idempotencyKey) await this.redis.del(k.idempotency(record.author, record.idempotencyKey));
    await this.redis.del([k.promise(record.id), k.promiseDays(record.id)]); // one hash tag: one slot
    if (record.counterpart) await this.redis.zRem(k.userPromises(record.counterpart), record.id);
    await this.redis.zRem(k.userPromises(record.author), record.id);
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
  async discard(record: PromiseRecord): Promise<void> {
    await this.redis.del([this.keys.promise(record.id), this.keys.promiseDays(record.id)]); // one slot
    await this.redis.zRem(this.keys.userPromises(record.author), record.id);
  }
}
