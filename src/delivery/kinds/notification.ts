import type { Notification } from '../../domain/notification';
import type { DeliveryAttempt } from '../../domain/reminder';
import type {
  NotificationClaim,
  NotificationFinish,
  NotificationStore,
} from '../../store/notification-store';
import { shardOf } from '../../store/notification-store';
import type { Replication } from '../../store/replication';
import { renderTemplateData, type TemplateCatalog } from '../../wechat/templates';
import { Batcher } from '../batch';
import type { OccurrenceKind, OccurrenceRecord, Outgoing } from '../occurrence-kind';
import type { Outcome } from '../outcome';

export const NOTIFICATION_KIND = 'notification';

/**
 * Notifications as a kind of occurrence: one subscribe message to one person, sent once at its
 * `at` (its only slot). Stored by NotificationStore (claim-notifications.lua, append-deliveries.lua,
 * finish-notifications.lua, one call per shard for what one turn of the event loop asks), rendered
 * by the template catalogue as reminders are.
 */
export class NotificationOccurrences implements OccurrenceKind<Notification> {
  readonly name = NOTIFICATION_KIND;
  private readonly claims = new Map<
    number,
    Batcher<{ id: string; slot: number; owner: string }, NotificationClaim>
  >();
  private readonly attempts: Batcher<{ id: string; attempt: DeliveryAttempt }, void>;
  private readonly finishes: Batcher<NotificationFinish, 'ok' | 'lost'>;

  constructor(
    private readonly store: Pick<
      NotificationStore,
      'claimMany' | 'extendClaim' | 'releaseClaim' | 'appendDeliveries' | 'finishMany'
    >,
    private readonly catalog: TemplateCatalog,
    // Told each outcome recorded (a notice's progress series); not awaited: a send never waits on it.
    private readonly onRecorded?: (n: Notification, outcome: Outcome, at: number) => Promise<void>,
    // REDIS_WAIT_REPLICAS: outcomes confirmed on the replicas (re-recorded after a failover lost them).
    replication?: Replication,
  ) {
    this.attempts = new Batcher<{ id: string; attempt: DeliveryAttempt }, void>(async (inputs) => {
      await store.appendDeliveries(inputs);
      return [];
    });
    this.finishes = new Batcher((inputs) =>
      replication
        ? replication.reapplied('notification outcomes', () => store.finishMany(inputs))
        : store.finishMany(inputs),
    );
  }

  claimGroup(id: string): number {
    return shardOf(id);
  }

  async claim(id: string, slot: number, owner: string, leaseMs: number): Promise<Notification | null> {
    let batcher = this.claims.get(leaseMs);
    if (!batcher) {
      batcher = new Batcher((claims) => this.store.claimMany(claims, leaseMs));
      this.claims.set(leaseMs, batcher);
    }
    const claim = await batcher.add({ id, slot, owner });
    return claim.ok ? claim.notification : null;
  }

  extendClaim(id: string, _slot: number, owner: string, leaseMs: number): Promise<boolean> {
    return this.store.extendClaim(id, owner, leaseMs);
  }

  releaseClaim(id: string, _slot: number, owner: string): Promise<boolean> {
    return this.store.releaseClaim(id, owner);
  }

  nextSlot = (): null => null; // sent once
  latestSlot = (): null => null;

  render(n: Notification, sendAt: number): Outgoing {
    return {
      openid: n.openid,
      templateId: n.templateId,
      ...(n.page ? { page: n.page } : {}),
      render: () =>
        renderTemplateData(this.catalog, n.templateId, {
          title: n.title,
          detail: n.detail,
          fireAt: n.fireAt ?? sendAt,
          timezone: n.timezone,
          ...(n.data ? { data: n.data } : {}),
        }),
    };
  }

  recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    return this.attempts.add({ id, attempt });
  }

  async record(id: string, n: Notification, record: OccurrenceRecord): Promise<'ok' | 'lost'> {
    // The outcome's own attempt goes in the same call (finish-notifications.lua): one round trip
    // per shard for a burst of outcomes, not two in a row that hold the send's slot.
    const recorded = await this.finishes.add({
      id,
      owner: record.owner,
      outcome: record.outcome,
      lastResult: record.lastResult,
      now: record.now,
      msgid: record.msgid,
      openid: n.openid,
      attempt: record.attempt,
    });
    if (recorded === 'ok') void this.onRecorded?.(n, record.outcome, record.now);
    return recorded;
  }
}
