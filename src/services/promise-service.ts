import { randomBytes } from 'node:crypto';
import {
  dailyTime,
  dayOf,
  endOfDay,
  INVITE_TTL_MS,
  promisePage,
  type PromiseRecord,
  type PromiseType,
} from '../domain/promise';
import {
  idempotencyKeyReused,
  promiseInviteExpired,
  promiseInviteNotFound,
  promiseInviteOwn,
  promiseInviteTaken,
  promiseNotFound,
} from '../errors';
import type { Logger } from '../logger';
import type { PromiseStore } from '../store/promise-store';
import type { QuotaHint, QuotaHints } from './quota-hint';
import type { TemplateCatalog } from '../wechat/templates';
import type { NotificationService } from './notification-service';
import { promiseNotice, type NoticeTarget, type PromiseEvent } from './promise-notices';
import { PromiseReader, type PromiseSnapshot } from './promise-reader';
import { checkPromise, type PromiseInput } from './promise-rules';
import { CLEAN_SHAPE, type Shape } from './reminder-rules';
import type { ReminderService } from './reminder-service';

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600; // as a reminder create's
// Titles of the daily reminders: the author's own promise, and the counterpart's promise to the author.
const REMINDER_TITLES: Record<PromiseType, string> = { give: '兑现我的承诺', ask: '兑现我答应的承诺' };

export type { PromiseInput } from './promise-rules';

export interface PromiseServiceDeps {
  store: PromiseStore;
  reminders: Pick<ReminderService, 'create' | 'update' | 'cancel'>;
  notifications: Pick<NotificationService, 'send'>;
  quotaHints: Pick<QuotaHints, 'of'>; // the create answer's `quota` (docs/architecture.md#the-quota-hint)
  catalog: TemplateCatalog;
  reminderTemplateId: string; // WX_TEMPLATE_ID: the daily reminders'
  promiseTemplateId: string; // WX_PROMISE_TEMPLATE_ID: what the other party is told with
  defaultTimezone: string;
  logger: Logger;
  now: () => number;
}

/**
 * Promises between two people (docs/architecture.md#promises): create with an invite, accept,
 * end, read. Who is reminded depends on the type — `give`: the author, from the create; `ask`:
 * the counterpart, from their accept — and that person's daily reminder is an ordinary reminder
 * of theirs (their grant, their list, their limits) whose id the promise keeps. Keeping days is
 * src/services/promise-keeping.ts, the daily verdict src/services/promise-evaluation.ts.
 */
export class PromiseService {
  readonly reader: PromiseReader;
  readonly notices: NoticeTarget;

  constructor(private readonly deps: PromiseServiceDeps) {
    this.reader = new PromiseReader(deps.store, deps.now);
    const template = deps.catalog.get(deps.promiseTemplateId);
    const phrase = template?.fields.find((f) => f.type === 'phrase');
    this.notices = { templateId: deps.promiseTemplateId, stateKey: phrase?.key ?? null };
  }

  /** A new promise (or, on a replayed Idempotency-Key, the first one as it is now), seen by its author. */
  async create(
    openid: string,
    type: PromiseType,
    input: Partial<PromiseInput>,
    options: { idempotency?: { key: string; fingerprint: string }; shape?: Shape } = {},
  ): Promise<{ promise: PromiseSnapshot; replayed: boolean; quota: QuotaHint }> {
    const made = await this.make(openid, type, input, options);
    // What the author will receive: a give's daily reminders; an ask's "kept"/"missed" notices.
    const templateId = type === 'give' ? this.deps.reminderTemplateId : this.deps.promiseTemplateId;
    return { ...made, quota: await this.deps.quotaHints.of(openid, templateId) };
  }

  private async make(
    openid: string,
    type: PromiseType,
    input: Partial<PromiseInput>,
    options: { idempotency?: { key: string; fingerprint: string }; shape?: Shape },
  ): Promise<{ promise: PromiseSnapshot; replayed: boolean }> {
    const { store, now } = this.deps;
    const at = now();
    const { timezone, daily } = checkPromise(input, options.shape ?? CLEAN_SHAPE, {
      catalog: this.deps.catalog,
      defaultTimezone: this.deps.defaultTimezone,
      reminder: { templateId: this.deps.reminderTemplateId, title: REMINDER_TITLES[type] },
      notices: this.notices,
      now: at,
    });
    const { idempotency } = options;
    const detail = input.detail ?? '';
    const draft = (id: string): PromiseRecord => ({
      id,
      type,
      author: openid,
      counterpart: null,
      counterpartName: input.counterpartName?.trim() || null,
      cid: input.cid === undefined ? null : String(input.cid),
      detail,
      hour: input.hour ?? 0,
      min: input.min ?? 0,
      timezone,
      status: 'active',
      keeper: null,
      reminderId: null,
      inviteCode: randomBytes(16).toString('base64url'), // 128 bits
      inviteExpiresAt: at + INVITE_TTL_MS,
      startDay: null,
      nextEvalDay: null,
      nextEvalEnd: null,
      keptDays: 0,
      missedDays: 0,
      streakEnd: null,
      streakLen: 0,
      createdAt: at,
      updatedAt: at,
      acceptedAt: null,
      endedAt: null,
      endedBy: null,
      ...(idempotency ? { requestHash: idempotency.fingerprint } : {}),
      // A give's key is its reminder's (erased with it); an ask's is the promise's own.
      ...(idempotency && type === 'ask' ? { idempotencyKey: idempotency.key } : {}),
    });

    if (idempotency) {
      // A key already used: its promise again (finished, if the first create stopped half-way), or
      // a 422 when it was another request's. A key held by a reminder (not a promise) is the
      // reminder create's to judge, on the give path below.
      const held = await store.idempotencyOf(openid, idempotency.key);
      const replay = held === null ? null : await this.replay(openid, idempotency, held, type === 'ask');
      if (replay) return { promise: replay, replayed: true };
    }
    if (type === 'give') {
      // The author's daily reminder comes first and the promise shares its id (a give promise is
      // that reminder to the original client); its Idempotency-Key is the reminder create's.
      const { reminder, replayed } = await this.deps.reminders.create(
        openid,
        { title: REMINDER_TITLES.give, detail, repeat: { daily }, timezone },
        { kind: 'give', cid: input.cid === undefined ? undefined : String(input.cid), idempotency },
      );
      // A replay whose promise exists was answered above; without one, the first create stopped
      // half-way and is finished now.
      const startDay = dayOf(reminder.nextFireAt ?? at, timezone);
      const record: PromiseRecord = {
        ...draft(reminder.id),
        keeper: openid,
        reminderId: reminder.id,
        startDay,
        nextEvalDay: startDay,
        nextEvalEnd: endOfDay(startDay, timezone),
      };
      if (!(await store.write(record))) {
        const first = await store.get(reminder.id);
        if (first)
          return { promise: await this.reader.snapshot(await this.finish(first), openid), replayed: true };
      }
      await store.publish(record);
      await this.deps.reminders.update(openid, reminder.id, { page: promisePage(reminder.id) });
      return { promise: await this.reader.snapshot(record, openid), replayed };
    }

    // An id from the reminder id space (PromiseStore.nextId): never a reminder's, nor a give's.
    const record = draft(await store.nextId(openid));
    await store.write(record);
    if (idempotency) {
      const taken = await store.claimIdempotency(openid, idempotency.key, record.id, IDEMPOTENCY_TTL_SECONDS);
      if (taken !== null) {
        // The same create raced this one and won: answer its promise.
        await store.discard(record);
        const replay = await this.replay(openid, idempotency, taken, true);
        if (!replay) throw idempotencyKeyReused();
        return { promise: replay, replayed: true };
      }
    }
    await store.publish(record);
    return { promise: await this.reader.snapshot(record, openid), replayed: false };
  }

  /** What accepting an invite means, for the accept page of anyone logged in. */
  async invite(openid: string, code: string): Promise<{ record: PromiseRecord; authorName: string | null }> {
    const record = await this.invited(code);
    if (record.inviteExpiresAt <= this.deps.now() && record.counterpart !== openid)
      throw promiseInviteExpired();
    return { record, authorName: await this.deps.store.profileName(record.author) };
  }

  /** Binds the caller as the counterpart; an `ask` starts their daily reminder. */
  async accept(openid: string, code: string): Promise<PromiseSnapshot> {
    const { store, now } = this.deps;
    const record = await this.invited(code);
    // Listed first (their shard's slot), so that erasing them finds a record that names them even
    // if this stops right after the accept; taken out again when the accept binds nobody.
    const listed = await store.addToUser(openid, record.id);
    const outcome = await store.accept(record.id, code, openid, now());
    if (outcome !== 'accepted' && outcome !== 'mine' && listed) await store.removeFromUser(openid, record.id);
    if (outcome === 'unknown') throw promiseInviteNotFound();
    if (outcome === 'own') throw promiseInviteOwn();
    if (outcome === 'taken') throw promiseInviteTaken();
    if (outcome === 'expired') throw promiseInviteExpired();
    const bound = (await store.get(record.id)) ?? record;
    // 'mine' without a reminder: an accept that stopped half-way (a crash) is finished now.
    if (bound.type === 'ask' && bound.keeper === openid && !bound.reminderId) await this.startKeeper(bound);
    return this.reader.snapshot((await store.get(record.id)) ?? bound, openid);
  }

  /** Ends the promise, by either party: the reminder goes on every instance, and the other party is told. */
  async end(openid: string, id: string): Promise<PromiseSnapshot> {
    const { store, now } = this.deps;
    const record = await this.reader.visible(openid, id);
    const outcome = await store.end(id, openid, now());
    if (outcome === 'gone' || outcome === 'forbidden') throw promiseNotFound();
    // Also on 'already': a retried end finishes one that stopped half-way.
    await store.retire(record);
    if (record.reminderId && record.keeper) await this.cancelReminder(record.keeper, record.reminderId);
    const ended = (await store.get(id)) ?? record;
    const other = openid === record.author ? record.counterpart : record.author;
    if (outcome === 'ended' && other) {
      await this.tell(ended, { kind: 'ended', to: other, actorName: await this.nameOf(ended, openid) });
    }
    return this.reader.snapshot(ended, openid);
  }

  /** Sends what the other party is told; a failure is logged, never the caller's (the day is recorded). */
  async tell(
    promise: PromiseRecord,
    event: { kind: PromiseEvent; to: string; actorName: string | null; day?: string },
  ): Promise<void> {
    try {
      await this.deps.notifications.send([
        promiseNotice(this.notices, promise, { ...event, at: this.deps.now() }),
      ]);
    } catch (err) {
      this.deps.logger.error(
        { promise: promise.id, event: event.kind, err: (err as Error).message },
        'promise notification not sent',
      );
    }
  }

  /** The name a party is called in what the other is told: the one the author gave, else their profile's. */
  async nameOf(promise: PromiseRecord, openid: string): Promise<string | null> {
    if (openid === promise.counterpart && promise.counterpartName) return promise.counterpartName;
    return this.deps.store.profileName(openid);
  }

  /** The counterpart's daily reminder of an accepted `ask`, linked to the promise, and its first day. */
  private async startKeeper(promise: PromiseRecord): Promise<void> {
    const { store, now } = this.deps;
    const keeper = promise.keeper ?? '';
    const daily = dailyTime(promise.hour, promise.min);
    let reminder;
    try {
      // The key makes a retried accept find the same reminder instead of making a second one; '#'
      // is no client's (docs/openapi.yaml, IdempotencyKey).
      ({ reminder } = await this.deps.reminders.create(
        keeper,
        {
          title: REMINDER_TITLES.ask,
          detail: promise.detail,
          repeat: { daily },
          timezone: promise.timezone,
          page: promisePage(promise.id),
        },
        { kind: 'ask', idempotency: { key: `#promise:${promise.id}`, fingerprint: `promise:${promise.id}` } },
      ));
    } catch (err) {
      // Over their 500 pending reminders: the accept is undone and the invite works again.
      await store.unbind(promise.id, keeper, now());
      throw err;
    }
    const startDay = dayOf(reminder.nextFireAt ?? now(), promise.timezone);
    const dayEnd = endOfDay(startDay, promise.timezone);
    const bound = await store.bindReminder(
      promise.id,
      { keeper, reminderId: reminder.id, startDay, dayEnd },
      now(),
    );
    if (bound === 'ok' || bound === 'bound') await store.schedule(promise.id, dayEnd);
    else await this.cancelReminder(keeper, reminder.id); // ended meanwhile: nobody is reminded
  }

  private async cancelReminder(openid: string, id: string): Promise<void> {
    await this.deps.reminders.cancel(openid, id).catch((err: Error) => {
      this.deps.logger.warn({ reminder: id, err: err.message }, 'promise reminder not cancelled');
    });
  }

  /** The promise of an invite code, or 404. */
  private async invited(code: string): Promise<PromiseRecord> {
    const id = /^[A-Za-z0-9_-]{1,64}$/.test(code) ? await this.deps.store.inviteLookup(code) : null;
    const record = id ? await this.deps.store.get(id) : null;
    if (!record || record.inviteCode !== code || record.status !== 'active') throw promiseInviteNotFound();
    return record;
  }

  /**
   * The first answer of a replayed Idempotency-Key, held by `held`: its promise when the request is
   * the same, a 422 when it was another; null when `held` is no promise (a reminder's key), unless
   * `strict`, then 422 too.
   */
  private async replay(
    openid: string,
    idempotency: { key: string; fingerprint: string },
    held: string,
    strict: boolean,
  ): Promise<PromiseSnapshot | null> {
    const first = await this.deps.store.get(held);
    if (!first) {
      if (strict) throw idempotencyKeyReused();
      return null;
    }
    // An ask's record names its key: it must be this one.
    const sameKey = first.idempotencyKey === undefined || first.idempotencyKey === idempotency.key;
    if (first.author !== openid || first.requestHash !== idempotency.fingerprint || !sameKey)
      throw idempotencyKeyReused();
    return this.reader.snapshot(await this.finish(first), openid);
  }

  /**
   * Finishes a create that stopped between writing the record and publishing it (a crash), when
   * its key is replayed: the invite and the due entry again (each write finds what the first did).
   */
  private async finish(record: PromiseRecord): Promise<PromiseRecord> {
    if (record.status === 'active') await this.deps.store.publish(record);
    return record;
  }
}
