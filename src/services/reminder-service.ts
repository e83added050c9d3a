import {
  publicReminder,
  reminderToHash,
  type Reminder,
  type ReminderKind,
  type ReminderStatus,
  type Repeat,
} from '../domain/reminder';
import { canonicalZone } from '../domain/time-zone';
import { ConflictError, IdempotencyKeyReusedError, NotFoundError } from '../errors';
import type { ReminderStore } from '../store/reminder-store';
import type { TemplateCatalog } from '../wechat/templates';
import { CLEAN_SHAPE, checkReminder, type Shape } from './reminder-rules';

export const PENDING_LIMIT = 500; // pending reminders per user (SPEC §4)
const IDEMPOTENCY_TTL_SECONDS = 24 * 3600; // how long a create's Idempotency-Key is remembered
const DELIVERIES_SHOWN = 10;

export interface ReminderInput {
  title: string;
  detail?: string;
  at?: number | string; // epoch ms or ISO 8601 with offset
  repeat?: Repeat | null;
  timezone?: string;
  templateId?: string;
  page?: string;
  data?: Record<string, string> | null;
}

export interface CreateOptions {
  kind?: ReminderKind;
  cid?: string;
  /** The create's Idempotency-Key, and the fingerprint of its route and cleaned body. */
  idempotency?: { key: string; fingerprint: string };
  shape?: Shape; // what the route's schema found wrong, answered with the service's own problems
}

export interface ReminderServiceDeps {
  store: ReminderStore;
  schedule: { publishUpsert(id: string, fireAt: number | null): Promise<void> }; // the scheduler
  catalog: TemplateCatalog;
  defaultTimezone: string;
  defaultTemplateId: string;
  now: () => number;
}

/** Creating, reading, editing and cancelling reminders; each write re-times exactly its own job. */
export class ReminderService {
  private readonly defaultTimezone: string;

  constructor(private readonly deps: ReminderServiceDeps) {
    // DEFAULT_TIMEZONE is checked at start; stored and scheduled in its canonical spelling too.
    this.defaultTimezone = canonicalZone(deps.defaultTimezone) ?? deps.defaultTimezone;
  }

  async create(
    openid: string,
    input: ReminderInput,
    options: CreateOptions = {},
  ): Promise<{ reminder: Record<string, unknown>; replayed: boolean }> {
    const { store, catalog, now } = this.deps;
    const at = now();
    const templateId = input.templateId ?? this.deps.defaultTemplateId;
    const repeat = input.repeat ?? null;
    const detail = input.detail ?? '';
    const data = input.data ?? null;
    const { fireAt, timezone } = checkReminder(
      {
        title: input.title,
        detail,
        templateId,
        timezone: input.timezone ?? this.defaultTimezone,
        repeat,
        data,
        at: input.at,
        retime: true,
      },
      options.shape ?? CLEAN_SHAPE,
      { catalog, defaultTimezone: this.defaultTimezone, now: at },
    );

    const record: Omit<Reminder, 'fireCount' | 'lastResult'> = {
      id: '',
      openid,
      kind: options.kind ?? 'reminder',
      title: input.title,
      detail,
      templateId,
      page: input.page ?? '',
      timezone,
      repeat,
      data,
      cid: options.cid ?? null,
      nextFireAt: fireAt,
      status: 'pending',
      createdAt: at,
      updatedAt: at,
      ...(options.idempotency ? { requestHash: options.idempotency.fingerprint } : {}),
    };
    const { id: _omit, ...fields } = reminderToHash(record);
    const created = await store.create(openid, { ...fields, fireCount: '0' }, fireAt, {
      pendingLimit: PENDING_LIMIT,
      idempotencyKey: options.idempotency?.key,
      idempotencyTtlSeconds: IDEMPOTENCY_TTL_SECONDS,
    });
    if (created.outcome === 'limit') {
      throw new ConflictError(
        `at most ${PENDING_LIMIT} pending reminders per user: delete some first`,
        40902,
      );
    }
    if (created.outcome === 'ok') {
      await this.deps.schedule.publishUpsert(created.id, fireAt);
      // The record just written is the answer: no read-back on the hot path.
      const reminder = { ...record, id: created.id, fireCount: 0, lastResult: null };
      return { reminder: publicReminder(reminder), replayed: false };
    }
    // A replay answers the first reminder as it is now (it may have been sent since), but only
    // to the request that made it: the same key with another body or route is a client bug.
    const reminder = await store.get(created.id);
    if (!reminder) throw new NotFoundError('reminder not found', 40402);
    if (reminder.requestHash !== undefined && reminder.requestHash !== options.idempotency?.fingerprint) {
      throw new IdempotencyKeyReusedError();
    }
    return { reminder: publicReminder(reminder), replayed: true };
  }

  async get(openid: string, id: string): Promise<Record<string, unknown>> {
    const reminder = await this.owned(openid, id);
    const deliveries = await this.deps.store.deliveries(id, DELIVERIES_SHOWN);
    return { ...publicReminder(reminder), deliveries };
  }

  async list(
    openid: string,
    query: { status?: ReminderStatus; cursor?: string; limit: number },
  ): Promise<{ items: Record<string, unknown>[]; nextCursor: string | null }> {
    const page = await this.deps.store.listByUser(openid, query);
    return { items: page.items.map(publicReminder), nextCursor: page.nextCursor };
  }

  async update(
    openid: string,
    id: string,
    patch: Partial<ReminderInput>,
    shape: Shape = CLEAN_SHAPE,
  ): Promise<Record<string, unknown>> {
    const { store, catalog, now } = this.deps;
    const current = await this.owned(openid, id);
    if (current.status === 'cancelled') throw new ConflictError('the reminder is cancelled', 40903);
    const at = now();
    const repeat = patch.repeat !== undefined ? patch.repeat : current.repeat;
    const touched = (field: keyof ReminderInput) => patch[field] !== undefined || shape.invalid.has(field);
    const retimed = touched('at') || touched('repeat') || touched('timezone');
    const title = patch.title ?? current.title;
    const detail = patch.detail ?? current.detail;
    const templateId = patch.templateId ?? current.templateId;
    const data = patch.data !== undefined ? patch.data : current.data;
    // A finished reminder that is not re-timed renders its template with "now", for validation only.
    const { fireAt, timezone } = checkReminder(
      {
        title,
        detail,
        templateId,
        timezone: patch.timezone ?? current.timezone,
        repeat,
        data,
        at: patch.at,
        retime: retimed,
        keptFireAt: current.nextFireAt ?? at,
      },
      shape,
      { catalog, defaultTimezone: this.defaultTimezone, now: at },
    );

    const fields: Record<string, string> = {
      title,
      detail,
      templateId,
      page: patch.page ?? current.page,
      timezone,
      repeat: repeat ? JSON.stringify(repeat) : '',
      data: data ? JSON.stringify(data) : '',
      updatedAt: String(at),
    };
    const outcome = await store.update(openid, id, fields, retimed ? fireAt : null, PENDING_LIMIT);
    if (outcome === 'missing') throw new NotFoundError('reminder not found', 40402);
    if (outcome === 'cancelled') throw new ConflictError('the reminder is cancelled', 40903);
    if (outcome === 'limit') {
      throw new ConflictError(
        `at most ${PENDING_LIMIT} pending reminders per user: delete some first`,
        40902,
      );
    }
    if (retimed) await this.deps.schedule.publishUpsert(id, fireAt);
    return publicReminder((await store.get(id)) ?? current);
  }

  async cancel(openid: string, id: string): Promise<Record<string, unknown>> {
    const { store, now } = this.deps;
    if ((await store.cancel(openid, id, now())) === 'missing')
      throw new NotFoundError('reminder not found', 40402);
    await this.deps.schedule.publishUpsert(id, null);
    const reminder = await store.get(id);
    if (!reminder) throw new NotFoundError('reminder not found', 40402);
    return publicReminder(reminder);
  }

  /** Another user's reminder is indistinguishable from a missing one (404). */
  private async owned(openid: string, id: string): Promise<Reminder> {
    const reminder = /^\d{1,15}$/.test(id) ? await this.deps.store.get(id) : null;
    if (!reminder || reminder.openid !== openid) throw new NotFoundError('reminder not found', 40402);
    return reminder;
  }
}
