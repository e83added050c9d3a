import type { DeliveryAttempt, Reminder } from '../../domain/reminder';
import { latestOccurrenceAtOrBefore, nextOccurrence } from '../../scheduler/recurrence';
import type { ReminderStore } from '../../store/reminder-store';
import { renderTemplateData, type TemplateCatalog } from '../../wechat/templates';
import type { OccurrenceKind, OccurrenceRecord, Outgoing } from '../occurrence-kind';

/**
 * Reminders (and promises, which are reminders) as the first kind of occurrence: stored by
 * ReminderStore (claim-occurrence.lua, extend-claim.lua, finish-occurrence.lua), recurring by
 * their `repeat` rule in their zone, rendered by the template catalogue.
 */
export class ReminderOccurrences implements OccurrenceKind<Reminder> {
  readonly name = 'reminder';

  constructor(
    private readonly store: Pick<
      ReminderStore,
      'claim' | 'extendClaim' | 'releaseClaim' | 'appendDelivery' | 'finish'
    >,
    private readonly catalog: TemplateCatalog,
  ) {}

  async claim(id: string, slot: number, owner: string, leaseMs: number): Promise<Reminder | null> {
    const claim = await this.store.claim(id, slot, owner, leaseMs);
    return claim.ok ? claim.reminder : null;
  }

  extendClaim(id: string, slot: number, owner: string, leaseMs: number): Promise<boolean> {
    return this.store.extendClaim(id, slot, owner, leaseMs);
  }

  releaseClaim(id: string, slot: number, owner: string): Promise<boolean> {
    return this.store.releaseClaim(id, slot, owner);
  }

  nextSlot(reminder: Reminder, afterMs: number): number | null {
    return reminder.repeat ? nextOccurrence(reminder.repeat, reminder.timezone, afterMs) : null;
  }

  latestSlot(reminder: Reminder, atMs: number, notBeforeMs: number): number | null {
    if (!reminder.repeat) return null;
    return latestOccurrenceAtOrBefore(reminder.repeat, reminder.timezone, atMs, notBeforeMs);
  }

  render(reminder: Reminder, sendAt: number): Outgoing {
    return {
      openid: reminder.openid,
      templateId: reminder.templateId,
      ...(reminder.page ? { page: reminder.page } : {}),
      render: () =>
        renderTemplateData(this.catalog, reminder.templateId, {
          title: reminder.title,
          detail: reminder.detail,
          fireAt: sendAt,
          timezone: reminder.timezone,
          ...(reminder.data ? { data: reminder.data } : {}),
        }),
    };
  }

  recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    return this.store.appendDelivery(id, attempt);
  }

  record(id: string, reminder: Reminder, record: OccurrenceRecord): Promise<'ok' | 'lost' | 'retimed'> {
    return this.store.finish({
      id,
      openid: reminder.openid,
      slot: record.slot,
      owner: record.owner,
      status: record.outcome,
      lastResult: record.lastResult,
      nextSlot: record.nextSlot,
      now: record.now,
      msgid: record.msgid,
    });
  }
}
