import {
  reminderToHash,
  type DeliveryAttempt,
  type Reminder,
  type ReminderKind,
  type ReminderStatus,
  type Repeat,
} from '../domain/reminder';
import { canonicalZone } from '../domain/time-zone';
import { idempotencyKeyReused, pendingLimitReached, reminderCancelled, reminderNotFound } from '../errors';
import type { ReminderStore } from '../store/reminder-store';
import type { TemplateCatalog } from '../wechat/templates';
import type { QuotaHint, QuotaHints } from './quota-hint';
import { CLEAN_SHAPE, checkReminder, type Shape } from './reminder-rules';

export const PENDING_LIMIT = 500; // pending reminders per user (docs/architecture.md#input-rules)
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

/** The fields a create sets and an edit may change. */
type Editable = Pick<Reminder, 'title' | 'detail' | 'templateId' | 'page' | 'timezone' | 'repeat' | 'data'>;
// What an edit writes; status, schedule and counts are the scripts' (update-reminder.lua).
const EDITED_FIELDS = [
  'title',
  'detail',
  'templateId',
  'page',
  'timezone',
  'repeat',
  'data',
  'updatedAt',
] as const satisfies readonly (keyof Reminder)[];

export interface CreateOptions {
  kind?: ReminderKind;
  cid?: string;
  /** The create's Idempotency-Key, and the fingerprint of its route and cleaned body. */
  idempotency?: { key: string; fingerprint: string };
  shape?: Shape; // what the route's schema found wrong, answered with the service's own problems
}

export interface ReminderServiceDeps {
  store: ReminderStore;
  schedule: {
    publishUpsert(id: string, fireAt: number | null): Promise<void>;
    /** Whether a change at `fireAt` concerns an instance's timers now (within the horizon). */
    concerns(fireAt: number): boolean;
    /** When present, a create's script publishes the change itself: one Redis round trip. */
    readonly announcer?: { channel: string; applyHere(id: string, fireAt: number): void };
  }; // the scheduler
  catalog: TemplateCatalog;
  quotaHints: Pick<QuotaHints, 'of' | 'hint'>; // the create answer's `quota` (docs/architecture.md#the-quota-hint)
  defaultTimezone: string;
  defaultTemplateId: string;
  now: () => number;
}

/** A create's answer: the reminder, whether it replays an earlier create, and the caller's grants for it. */
export interface Created {
  reminder: Reminder;
  replayed: boolean;
  quota: QuotaHint;
}

/** Creating, reading, editing and cancelling reminders; each write re-times exactly its own job. */
export class ReminderService {
  private readonly defaultTimezone: string;

  constructor(private readonly deps: ReminderServiceDeps) {
    // DEFAULT_TIMEZONE is checked at start; stored and scheduled in its canonical spelling too.
    this.defaultTimezone = canonicalZone(deps.defaultTimezone) ?? deps.defaultTimezone;
  }

  /** A new reminder, or on a replayed Idempotency-Key the first one as it is now. */
  async create(openid: string, input: ReminderInput, options?: CreateOptions): Promise<Created>;
  /** A route's draft: it may lack the fields its shape problems name (a missing title among them). */
  async create(
    openid: string,
    input: Partial<ReminderInput>,
    options: CreateOptions & { shape: Shape },
  ): Promise<Created>;
  async create(openid: string, input: Partial<ReminderInput>, options: CreateOptions = {}): Promise<Created> {
    const { store, now } = this.deps;
    const at = now();
    const defaults: Editable = {
      title: '',
      detail: '',
      templateId: this.deps.defaultTemplateId,
      page: '',
      timezone: this.defaultTimezone,
      repeat: null,
      data: null,
    };
    const shape = options.shape ?? CLEAN_SHAPE;
    const { edited, fireAt } = this.compose(defaults, input, { retime: true }, shape, at);
    const record: Reminder = {
      id: '',
      openid,
      kind: options.kind ?? 'reminder',
      ...edited,
      cid: options.cid ?? null,
      nextFireAt: fireAt,
      status: 'pending',
      createdAt: at,
      updatedAt: at,
      fireCount: 0,
      lastResult: null,
      ...(options.idempotency
        ? { requestHash: options.idempotency.fingerprint, idempotencyKey: options.idempotency.key }
        : {}),
    };
    const fields = reminderToHash(record); // without its id (''): the store gives it
    const { announcer } = this.deps.schedule;
    // A new reminder due beyond the horizon is no instance's timer yet: the sweeps load it as its
    // time nears, so its create announces nothing (no PUBLISH for every instance to read).
    const announce = this.deps.schedule.concerns(fireAt);
    // The grants are read in the create's own script: only sends change them.
    const created = await store.create(openid, fields, fireAt, {
      pendingLimit: PENDING_LIMIT,
      idempotencyKey: options.idempotency?.key,
      idempotencyTtlSeconds: IDEMPOTENCY_TTL_SECONDS,
      eventsChannel: announce ? announcer?.channel : undefined,
    });
    if (created.outcome === 'limit') throw pendingLimitReached(PENDING_LIMIT);
    if (created.outcome === 'ok') {
      if (announce && announcer) announcer.applyHere(created.id, fireAt);
      else if (announce) await this.deps.schedule.publishUpsert(created.id, fireAt);
      // The record just written is the answer: no read-back on the hot path.
      const quota = this.deps.quotaHints.hint(record.templateId, created.grantsLeft);
      return { reminder: { ...record, id: created.id }, replayed: false, quota };
    }
    // A replay answers the first reminder as it is now (it may have been sent since), but only
    // to the request that made it: the same key with another body or route is a client bug.
    const reminder = await store.get(created.id);
    // A key that names no reminder was spent on another kind of create (an `ask` promise's).
    if (!reminder) throw idempotencyKeyReused();
    if (reminder.requestHash !== undefined && reminder.requestHash !== options.idempotency?.fingerprint) {
      throw idempotencyKeyReused();
    }
    return { reminder, replayed: true, quota: await this.deps.quotaHints.of(openid, reminder.templateId) };
  }

  /** The reminder and its latest delivery attempts, newest first. */
  async get(openid: string, id: string): Promise<{ reminder: Reminder; deliveries: DeliveryAttempt[] }> {
    const reminder = await this.owned(openid, id);
    const deliveries = await this.deps.store.deliveries(id, DELIVERIES_SHOWN);
    return { reminder, deliveries };
  }

  async list(
    openid: string,
    query: { status?: ReminderStatus; cursor?: string; limit: number },
  ): Promise<{ items: Reminder[]; nextCursor: string | null }> {
    return this.deps.store.listByUser(openid, query);
  }

  async update(
    openid: string,
    id: string,
    patch: Partial<ReminderInput>,
    shape: Shape = CLEAN_SHAPE,
  ): Promise<Reminder> {
    const { store, now } = this.deps;
    const current = await this.owned(openid, id);
    if (current.status === 'cancelled') throw reminderCancelled();
    const at = now();
    const touched = (field: keyof ReminderInput) => patch[field] !== undefined || shape.invalid.has(field);
    const retimed = touched('at') || touched('repeat') || touched('timezone');
    // A finished reminder that is not re-timed renders its template with "now", for validation only.
    const schedule = { retime: retimed, keptFireAt: current.nextFireAt ?? at };
    const { edited, fireAt } = this.compose(current, patch, schedule, shape, at);
    const hash = reminderToHash({ ...current, ...edited, updatedAt: at });
    const fields = Object.fromEntries(EDITED_FIELDS.map((field) => [field, hash[field] ?? '']));
    const outcome = await store.update(openid, id, fields, retimed ? fireAt : null, PENDING_LIMIT);
    if (outcome === 'missing') throw reminderNotFound();
    if (outcome === 'cancelled') throw reminderCancelled();
    if (outcome === 'limit') throw pendingLimitReached(PENDING_LIMIT);
    if (retimed) await this.deps.schedule.publishUpsert(id, fireAt);
    return (await store.get(id)) ?? current;
  }

  async cancel(openid: string, id: string): Promise<Reminder> {
    const { store, now } = this.deps;
    if ((await store.cancel(openid, id, now())) === 'missing') throw reminderNotFound();
    await this.deps.schedule.publishUpsert(id, null);
    const reminder = await store.get(id);
    if (!reminder) throw reminderNotFound();
    return reminder;
  }

  /**
   * What a create or an edit writes: `input` over `base` (a new reminder's defaults, or the
   * record as it is), checked by the rules, with the fire time it gives.
   */
  private compose(
    base: Editable,
    input: Partial<ReminderInput>,
    schedule: { retime: boolean; keptFireAt?: number },
    shape: Shape,
    now: number,
  ): { edited: Editable; fireAt: number } {
    const edited: Editable = {
      title: input.title ?? base.title,
      detail: input.detail ?? base.detail,
      templateId: input.templateId ?? base.templateId,
      page: input.page ?? base.page,
      timezone: input.timezone ?? base.timezone,
      // null clears these two: only an absent field keeps the base's
      repeat: input.repeat !== undefined ? input.repeat : base.repeat,
      data: input.data !== undefined ? input.data : base.data,
    };
    const { catalog } = this.deps;
    const rules = { catalog, defaultTimezone: this.defaultTimezone, now };
    const { fireAt, timezone } = checkReminder({ ...edited, at: input.at, ...schedule }, shape, rules);
    return { edited: { ...edited, timezone }, fireAt };
  }

  /** Another user's reminder is indistinguishable from a missing one (404). */
  private async owned(openid: string, id: string): Promise<Reminder> {
    const reminder = /^\d{1,15}$/.test(id) ? await this.deps.store.get(id) : null;
    if (!reminder || reminder.openid !== openid) throw reminderNotFound();
    return reminder;
  }
}
