import {
  publicReminder,
  reminderToHash,
  type Reminder,
  type ReminderKind,
  type ReminderStatus,
  type Repeat,
} from '../domain/reminder';
import { ConflictError, NotFoundError, ValidationError, type ErrorDetail } from '../errors';
import { firstOccurrence, isValidTimezone, validateRepeat } from '../scheduler/recurrence';
import type { ReminderStore } from '../store/reminder-store';
import { validateReminderTemplate, type TemplateCatalog } from '../wechat/templates';

export const PENDING_LIMIT = 500; // pending reminders per user (SPEC §4)
const MAX_AHEAD_MS = 366 * 24 * 3600 * 1000; // a one-shot at most this far ahead
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
  constructor(private readonly deps: ReminderServiceDeps) {}

  async create(
    openid: string,
    input: ReminderInput,
    options: { kind?: ReminderKind; cid?: string; idempotencyKey?: string } = {},
  ): Promise<{ reminder: Record<string, unknown>; replayed: boolean }> {
    const { store, now } = this.deps;
    const at = now();
    const timezone = input.timezone ?? this.deps.defaultTimezone;
    const templateId = input.templateId ?? this.deps.defaultTemplateId;
    const repeat = input.repeat ?? null;
    const fireAt = this.validated(
      this.schedule(input.at, repeat, timezone, at),
      { templateId, title: input.title, detail: input.detail ?? '', timezone, data: input.data ?? null },
      at,
    );

    const record: Omit<Reminder, 'fireCount' | 'lastResult'> = {
      id: '',
      openid,
      kind: options.kind ?? 'reminder',
      title: input.title,
      detail: input.detail ?? '',
      templateId,
      page: input.page ?? '',
      timezone,
      repeat,
      data: input.data ?? null,
      cid: options.cid ?? null,
      nextFireAt: fireAt,
      status: 'pending',
      createdAt: at,
      updatedAt: at,
    };
    const { id: _omit, ...fields } = reminderToHash(record);
    const created = await store.create(openid, { ...fields, fireCount: '0' }, fireAt, {
      pendingLimit: PENDING_LIMIT,
      idempotencyKey: options.idempotencyKey,
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
    // A replay answers the first reminder as it is now (it may have been sent since).
    const reminder = await store.get(created.id);
    if (!reminder) throw new NotFoundError('reminder not found', 40402);
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

  async update(openid: string, id: string, patch: Partial<ReminderInput>): Promise<Record<string, unknown>> {
    const { store, now } = this.deps;
    const current = await this.owned(openid, id);
    if (current.status === 'cancelled') throw new ConflictError('the reminder is cancelled', 40903);
    const at = now();
    const timezone = patch.timezone ?? current.timezone;
    const repeat = patch.repeat !== undefined ? patch.repeat : current.repeat;
    const retimed = patch.at !== undefined || patch.repeat !== undefined || patch.timezone !== undefined;
    const title = patch.title ?? current.title;
    const detail = patch.detail ?? current.detail;
    const templateId = patch.templateId ?? current.templateId;
    const data = patch.data !== undefined ? patch.data : current.data;
    // A finished reminder that is not re-timed renders its template with "now", for validation only.
    const fireAt = this.validated(
      retimed
        ? this.schedule(patch.at, repeat, timezone, at)
        : { fireAt: current.nextFireAt ?? at, problems: [] },
      { templateId, title, detail, timezone, data },
      at,
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

  /** The first fire time and what is wrong with `at`, `repeat.*` or `timezone`. */
  private schedule(
    at: number | string | undefined,
    repeat: Repeat | null,
    timezone: string,
    now: number,
  ): { fireAt: number | null; problems: ErrorDetail[] } {
    const problems: ErrorDetail[] = [];
    if (!isValidTimezone(timezone)) {
      problems.push({ path: 'timezone', message: 'must be an IANA time zone such as Asia/Shanghai' });
    }
    if (repeat) {
      const problem = validateRepeat(repeat);
      if (problem) problems.push(problem);
    }
    if (at === undefined && !repeat) problems.push({ path: 'at', message: 'at or repeat is required' });
    if (at !== undefined) {
      const fireAt = typeof at === 'number' ? at : Date.parse(at);
      if (!Number.isFinite(fireAt)) {
        problems.push({ path: 'at', message: 'must be ISO 8601 with an offset or epoch milliseconds' });
      } else if (fireAt <= now) {
        problems.push({ path: 'at', message: 'must be in the future' });
      } else if (fireAt > now + MAX_AHEAD_MS) {
        problems.push({ path: 'at', message: 'must be at most 366 days ahead' });
      }
      return { fireAt: problems.length > 0 ? null : fireAt, problems };
    }
    if (problems.length > 0) return { fireAt: null, problems };
    return { fireAt: firstOccurrence(repeat as Repeat, timezone, now), problems };
  }

  /**
   * The fire time, once the schedule and the template's field rules both hold; otherwise one 400
   * naming every problem of both (the template is checked even when the time is wrong).
   */
  private validated(
    schedule: { fireAt: number | null; problems: ErrorDetail[] },
    fields: {
      templateId: string;
      title: string;
      detail: string;
      timezone: string;
      data: Record<string, string> | null;
    },
    now: number,
  ): number {
    const zoneOk = isValidTimezone(fields.timezone);
    const problems = [
      ...schedule.problems,
      ...validateReminderTemplate(this.deps.catalog, fields.templateId, {
        title: fields.title,
        detail: fields.detail,
        fireAt: schedule.fireAt ?? now,
        timezone: zoneOk ? fields.timezone : this.deps.defaultTimezone,
        ...(fields.data ? { data: fields.data } : {}),
      }),
    ];
    if (problems.length > 0 || schedule.fireAt === null) throw new ValidationError(problems);
    return schedule.fireAt;
  }
}
