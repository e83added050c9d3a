import { NOTIFICATION_KIND } from '../delivery/kinds/notification';
import type { DeliveryPipeline } from '../delivery/pipeline';
import type { Notification } from '../domain/notification';
import type { DeliveryAttempt } from '../domain/reminder';
import type { Logger } from '../logger';
import { isRedisUnavailable } from '../store/redis';
import type { NotificationState, NotificationStore, SharedDraft } from '../store/notification-store';
import { TemplateRenderError, validateReminderTemplate, type TemplateCatalog } from '../wechat/templates';

/** One subscribe message for one person, as a feature asks for it. */
export interface NotificationInput {
  openid: string; // who receives it
  templateId: string; // a template of config/templates.json
  page?: string; // the mini-program page it opens
  title: string; // {{title}}
  detail?: string; // {{detail}}
  timezone: string; // the zone {{fireTime}} is shown in
  fireAt?: number; // the time shown as {{fireTime}}; default: when it is sent
  data?: Record<string, string>; // extra {{placeholders}}, as a reminder's `data`
  at?: number; // when to send (ms); default now
  dedupe?: string; // the same key twice → stored and sent once (the first id is returned)
  source?: string; // what sent it, e.g. `promise:12` (export, debugging)
}

/** What a notification says, whoever receives it: a NotificationInput without its recipient and dedupe key. */
export type NotificationContent = Omit<NotificationInput, 'openid' | 'dedupe'>;

/** One recipient of a prepared notification. */
export interface PreparedRecipient {
  openid: string;
  dedupe?: string;
}

/**
 * A notification's content, checked once against its template's field rules by
 * NotificationService.prepare, for many recipients (a notice's fan-out). Frozen, and known only
 * to the service that made it: it cannot be made or changed to skip the check.
 */
export interface PreparedNotification {
  readonly content: Readonly<NotificationContent>;
}

export interface NotificationServiceOptions {
  store: NotificationStore;
  pipeline: Pick<DeliveryPipeline, 'submit'>;
  catalog: TemplateCatalog;
  logger: Logger;
  now?: () => number;
  sweepIntervalMs?: number; // how often the due notifications are read back, default 2000
}

/** A notification that would break its template's field rules (WeChat would answer 47003): nothing is stored. */
export class NotificationRenderError extends TemplateRenderError {
  constructor(
    readonly templateId: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(
      `notification cannot be rendered with template ${templateId}: ${problems.map((p) => p.message).join('; ')}`,
    );
  }
}

const SWEEP_LIMIT = 2000; // notifications read per shard per sweep

/** The stored fields of a notification's content, defaults filled in. */
function draftOf(content: NotificationContent, now: number): SharedDraft {
  return {
    templateId: content.templateId,
    page: content.page ?? '',
    title: content.title,
    detail: content.detail ?? '',
    timezone: content.timezone,
    fireAt: content.fireAt ?? null,
    data: content.data ?? null,
    at: content.at ?? now,
    source: content.source ?? '',
  };
}

/**
 * One-off subscribe messages (docs/architecture.md#notifications): a feature calls `send`, the
 * notification is stored and handed to the delivery pipeline at once (or at its `at`), and a sweep
 * on every instance hands it again until it is recorded — so a send survives the instance that
 * asked for it; the pipeline's claim makes it one message however many instances see it.
 */
export class NotificationService {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private readonly waiting = new Map<string, NodeJS.Timeout>(); // sends due before the next sweep
  private readonly prepared = new WeakSet<PreparedNotification>(); // made (and checked) by prepare()

  constructor(private readonly options: NotificationServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Checks that each renders within its template's field rules (else throws
   * NotificationRenderError naming every problem, and stores nothing), stores them, and starts
   * their sends.
   */
  async send(inputs: NotificationInput[]): Promise<{ id: string; created: boolean }[]> {
    const now = this.now();
    const drafts = inputs.map((input) => {
      if (!input.openid) throw new Error('a notification needs a recipient');
      const { openid, dedupe, ...content } = input;
      const shared = this.checked(content, now);
      return { shared, to: dedupe ? { openid, dedupe } : { openid } };
    });
    return this.store(drafts, now);
  }

  /**
   * Checks `content` once (as send does: NotificationRenderError when it breaks a field rule) and
   * returns it prepared for sendPrepared. The recipient and the dedupe key are no part of what
   * WeChat checks, so one check holds for every recipient.
   */
  prepare(content: NotificationContent): PreparedNotification {
    const frozen: NotificationContent = Object.freeze({
      ...content,
      ...(content.data ? { data: Object.freeze({ ...content.data }) } : {}),
    });
    this.checked(frozen, this.now());
    const prepared: PreparedNotification = Object.freeze({ content: frozen });
    this.prepared.add(prepared);
    return prepared;
  }

  /** send() for one prepared content and many recipients, without checking it again per recipient. */
  async sendPrepared(
    prepared: PreparedNotification,
    to: readonly PreparedRecipient[],
  ): Promise<{ id: string; created: boolean }[]> {
    if (!this.prepared.has(prepared)) throw new Error('a notification not prepared by this service');
    if (to.some((r) => !r.openid)) throw new Error('a notification needs a recipient');
    if (to.length === 0) return [];
    const now = this.now();
    const shared = draftOf(prepared.content, now);
    return this.store(
      to.map((r) => ({ shared, to: r })),
      now,
    );
  }

  /** The stored form of `content`, after checking it (NotificationRenderError). */
  private checked(content: NotificationContent, now: number): SharedDraft {
    const draft = draftOf(content, now);
    const problems = validateReminderTemplate(this.options.catalog, draft.templateId, {
      title: draft.title,
      detail: draft.detail,
      fireAt: draft.fireAt ?? draft.at,
      timezone: draft.timezone,
      ...(draft.data ? { data: draft.data } : {}),
    });
    if (problems.length > 0) throw new NotificationRenderError(draft.templateId, problems);
    return draft;
  }

  private async store(
    drafts: { shared: SharedDraft; to: PreparedRecipient }[],
    now: number,
  ): Promise<{ id: string; created: boolean }[]> {
    const results = await this.options.store.createDrafts(drafts, now);
    results.forEach((result, i) => {
      if (result.created) this.hand(result.id, (drafts[i] as { shared: SharedDraft }).shared.at);
    });
    return results;
  }

  async get(id: string): Promise<(Notification & { deliveries: DeliveryAttempt[] }) | null> {
    const notification = await this.options.store.get(id);
    return notification ? { ...notification, deliveries: await this.options.store.deliveries(id) } : null;
  }

  /** Each notification's status and WeChat's push report on it, in the order asked (null: unknown id). */
  states(ids: readonly string[]): Promise<(NotificationState | null)[]> {
    return this.options.store.states(ids);
  }

  /** Starts the sweep that hands due notifications to the pipeline (after a restart, a lost claim…). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 2000);
    this.timer.unref();
    void this.sweep();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }

  /** Reads the due notifications of every shard once and hands them to the pipeline. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      const horizon = this.now() + (this.options.sweepIntervalMs ?? 2000);
      const due = await this.options.store.due(horizon, SWEEP_LIMIT);
      for (const { id, at } of due) this.hand(id, at);
      return due.length;
    } catch (err) {
      if (!isRedisUnavailable(err)) throw err;
      this.options.logger.debug(
        { err: (err as Error).message },
        'notification sweep skipped: redis unavailable',
      );
      return 0;
    } finally {
      this.sweeping = false;
    }
  }

  /** Submits now when due, else at `at` (only sends due before the next sweep get a timer). */
  private hand(id: string, at: number): void {
    const wait = at - this.now();
    if (wait <= 0) {
      this.options.pipeline.submit(NOTIFICATION_KIND, id, at);
      return;
    }
    if (this.waiting.has(id) || wait > (this.options.sweepIntervalMs ?? 2000) * 2) return;
    const timer = setTimeout(() => {
      this.waiting.delete(id);
      this.options.pipeline.submit(NOTIFICATION_KIND, id, at);
    }, wait);
    timer.unref?.();
    this.waiting.set(id, timer);
  }
}
