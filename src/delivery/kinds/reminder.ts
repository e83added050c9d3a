import type { DeliveryAttempt } from '../../domain/reminder';
import { latestOccurrenceAtOrBefore, nextOccurrence } from '../../scheduler/recurrence';
import type { ClaimedReminder, ClaimResult, FinishInput, ReminderStore } from '../../store/reminder-store';
import type { Replication } from '../../store/replication';
import { renderTemplateData, type TemplateCatalog } from '../../wechat/templates';
import { Batcher } from '../batch';
import type { OccurrenceKind, OccurrenceRecord, Outgoing } from '../occurrence-kind';

/**
 * Reminders (and promises, which are reminders) as the first kind of occurrence: stored by
 * ReminderStore (claim-occurrences.lua, extend-claim.lua, append-deliveries.lua,
 * finish-occurrences.lua; the claims, attempts and outcomes asked for in one turn of the event
 * loop go to Redis as one script call each, src/delivery/batch.ts; an outcome and its own attempt
 * in one), recurring by their `repeat` rule in their zone, rendered by the template catalogue. A
 * claim reads only the fields a send needs (ClaimedReminder).
 */
const RECORD_WINDOW_MS = 2;

export class ReminderOccurrences implements OccurrenceKind<ClaimedReminder> {
  readonly name = 'reminder';
  // One claim batcher per lease (the script takes one lease for all).
  private readonly claims = new Map<
    number,
    Batcher<{ id: string; slot: number; owner: string }, ClaimResult>
  >();

  constructor(
    private readonly store: Pick<
      ReminderStore,
      'shardOf' | 'claimMany' | 'extendClaim' | 'releaseClaim' | 'appendDeliveries' | 'finishMany'
    >,
    private readonly catalog: TemplateCatalog,
    // REDIS_WAIT_REPLICAS: outcomes confirmed on the replicas (re-recorded after a failover lost them).
    private readonly replication?: Replication,
  ) {}

  private readonly attempts = new Batcher<{ id: string; attempt: DeliveryAttempt }, void>(async (inputs) => {
    await this.store.appendDeliveries(inputs);
    return [];
  });
  // Outcomes wait up to RECORD_WINDOW_MS for others of their shard: sends answered around the same
  // time (a chunk claimed together) are recorded in one call. It widens by as much the window of
  // the one duplicate a crash may cause (WeChat answered, outcome not yet written).
  private readonly finishes = new Batcher<FinishInput, 'ok' | 'lost' | 'retimed'>(
    (inputs) =>
      this.replication
        ? this.replication.reapplied('reminder outcomes', () => this.store.finishMany(inputs))
        : this.store.finishMany(inputs),
    128,
    RECORD_WINDOW_MS,
  );

  claimGroup(id: string): number {
    return this.store.shardOf(id);
  }

  async claim(id: string, slot: number, owner: string, leaseMs: number): Promise<ClaimedReminder | null> {
    let batcher = this.claims.get(leaseMs);
    if (!batcher) {
      batcher = new Batcher((claims) => this.store.claimMany(claims, leaseMs));
      this.claims.set(leaseMs, batcher);
    }
    const claim = await batcher.add({ id, slot, owner });
    return claim.ok ? claim.reminder : null;
  }

  extendClaim(id: string, slot: number, owner: string, leaseMs: number): Promise<boolean> {
    return this.store.extendClaim(id, slot, owner, leaseMs);
  }

  releaseClaim(id: string, slot: number, owner: string): Promise<boolean> {
    return this.store.releaseClaim(id, slot, owner);
  }

  nextSlot(reminder: ClaimedReminder, afterMs: number): number | null {
    return reminder.repeat ? nextOccurrence(reminder.repeat, reminder.timezone, afterMs) : null;
  }

  latestSlot(reminder: ClaimedReminder, atMs: number, notBeforeMs: number): number | null {
    if (!reminder.repeat) return null;
    return latestOccurrenceAtOrBefore(reminder.repeat, reminder.timezone, atMs, notBeforeMs);
  }

  render(reminder: ClaimedReminder, sendAt: number): Outgoing {
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
    return this.attempts.add({ id, attempt });
  }

  record(
    id: string,
    reminder: ClaimedReminder,
    record: OccurrenceRecord,
  ): Promise<'ok' | 'lost' | 'retimed'> {
    return this.finishes.add({
      id,
      openid: reminder.openid,
      slot: record.slot,
      owner: record.owner,
      status: record.outcome,
      lastResult: record.lastResult,
      nextSlot: record.nextSlot,
      now: record.now,
      msgid: record.msgid,
      attempt: record.attempt,
    });
  }
}
