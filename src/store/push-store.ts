import { createHash } from 'node:crypto';
import { utcDay } from '../delivery/outcome';
import type { DeliveryAttempt } from '../domain/reminder';
import type { Keys } from './keys';
import { scripts } from './lua-script';
import type { Redis } from './redis';
import { DELIVERIES_KEPT } from './reminder-store';

export type LedgerOp = { op: 'grant' | 'zero'; templateId: string };
export type Confirmation = NonNullable<DeliveryAttempt['confirmed']>;
/**
 * What a delivery report did: `delivered` (confirmed), `failed` (the send's outcome turned to
 * failed), `unchanged` (the attempt already had a report), `missing` / `foreign` (no such attempt
 * of this user).
 */
export type ConfirmOutcome = 'delivered' | 'failed' | 'unchanged' | 'missing' | 'foreign';

export interface DeliveryReport {
  confirmed: Confirmation;
  failed: boolean; // WeChat's ErrorCode is not 0
  errcode: number | null; // ErrorCode as a number, null when it is not one
  now: number; // epoch ms: the reminder's updatedAt when the report changes it
}

/**
 * What message push (docs/wechat.md#message-push) keeps in Redis: nonces seen, pushes already
 * processed, and the effects of subscribe-message events on the quota ledger and on delivery
 * records.
 */
export class PushStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Records a nonce; false when it was already seen within `ttlSeconds` (a replay). */
  async claimNonce(nonce: string, ttlSeconds: number): Promise<boolean> {
    return this.markFirst(this.keys.pushSeen(`nonce:${nonce}`), ttlSeconds);
  }

  /** Lets a nonce be used again: the request carrying it failed on our side and will be retried. */
  async releaseNonce(nonce: string): Promise<void> {
    await this.redis.del(this.keys.pushSeen(`nonce:${nonce}`));
  }

  /** Marks a push as processed; false when WeChat already delivered it (a retry). */
  async claimPush(dedupKey: string, ttlSeconds: number): Promise<boolean> {
    return this.markFirst(this.pushKey(dedupKey), ttlSeconds);
  }

  /** Undoes claimPush when processing failed, so WeChat's retry is processed. */
  async releasePush(dedupKey: string): Promise<void> {
    await this.redis.del(this.pushKey(dedupKey));
  }

  /**
   * Claims the push and applies its ledger changes in one step (apply-subscription-event.lua);
   * false when it was a retry and nothing changed.
   */
  async applyLedgerEvent(
    dedupKey: string,
    ttlSeconds: number,
    openid: string,
    ops: LedgerOp[],
  ): Promise<boolean> {
    const args = ops.flatMap(({ op, templateId }) => [op, templateId]);
    const applied = await scripts.applySubscriptionEvent.run<number>(
      this.redis,
      [this.ledgerEventKey(openid, dedupKey), this.keys.quota(openid)],
      [ttlSeconds, ...args],
    );
    return applied === 1;
  }

  /** The occurrence `<reminderId>:<slotMs>` whose send to `openid` WeChat answered with this msgid, if still known. */
  async occurrenceOfMsgid(openid: string, msgid: string): Promise<string | null> {
    // A link written by a version before the move lives on under its old name for its TTL.
    return (
      (await this.redis.get(this.keys.msgid(openid, msgid))) ??
      (await this.redis.get(this.keys.legacyMsgid(msgid)))
    );
  }

  /** Applies WeChat's report on the attempt of `occurrence` that got `msgid`; see confirm-delivery.lua. */
  async confirmDelivery(
    occurrence: string,
    msgid: string,
    openid: string,
    report: DeliveryReport,
  ): Promise<ConfirmOutcome> {
    const reminderId = occurrence.slice(0, occurrence.indexOf(':'));
    if (!/^\d+$/.test(reminderId)) return 'missing';
    // The attempt's day is read in the script: the shard's stats of every day it can be (its msgid
    // link lives 7 days, and a clock may be a little ahead) go with it.
    const shard = this.keys.reminderShard(reminderId);
    const days = Array.from({ length: 10 }, (_, i) => utcDay(report.now - (i - 1) * 86_400_000));
    return scripts.confirmDelivery.run<ConfirmOutcome>(
      this.redis,
      [
        this.keys.deliveries(reminderId),
        this.keys.reminder(reminderId),
        ...days.map((day) => this.keys.sendStats(shard, day)),
      ],
      [
        occurrence,
        msgid,
        openid,
        JSON.stringify(report.confirmed),
        DELIVERIES_KEPT,
        report.failed ? '1' : '0',
        report.errcode === null ? '' : report.errcode,
        report.now,
        ...days,
      ],
    );
  }

  // Hashed: an event's dedup key holds its sender's openid, and no key may name a user once
  // they erased their data (DELETE /api/me), even for the day it lives.
  private pushKey(dedupKey: string): string {
    return this.keys.pushSeen(`push:${createHash('sha256').update(dedupKey).digest('base64url')}`);
  }

  // As pushKey, in the user's shard: the mark and the ledger change are one script.
  private ledgerEventKey(openid: string, dedupKey: string): string {
    return this.keys.subscriptionEventSeen(openid, createHash('sha256').update(dedupKey).digest('base64url'));
  }

  private async markFirst(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(key, '1', { NX: true, EX: ttlSeconds })) === 'OK';
  }
}
