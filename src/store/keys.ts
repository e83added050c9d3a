import { createHash } from 'node:crypto';
import { occurrenceId } from '../domain/reminder';

/**
 * Every Redis key tixing uses, built in one place (README.md#redis-keys). All keys live under the configured
 * prefix so several deployments (and every test file) can share one Redis.
 */
export class Keys {
  constructor(readonly prefix: string) {}

  /** INCR counter that hands out reminder ids. */
  reminderSeq(): string {
    return `${this.prefix}seq:reminder`;
  }
  /** Hash: one reminder's fields. */
  reminder(id: string): string {
    return `${this.prefix}reminder:${id}`;
  }
  /** Capped list (newest first) of JSON delivery attempts of one reminder. */
  deliveries(id: string): string {
    return `${this.prefix}reminder:${id}:deliveries`;
  }
  /** Sorted set: a user's reminder ids, score = the id (ids grow with creation). */
  userReminders(openid: string): string {
    return `${this.prefix}user:${openid}:reminders`;
  }
  /** Set: a user's pending reminder ids (the 500-pending limit counts it). */
  userPending(openid: string): string {
    return `${this.prefix}user:${openid}:pending`;
  }
  /** Prefix of reminder hashes, for the create script that learns the id from INCR. */
  reminderPrefix(): string {
    return `${this.prefix}reminder:`;
  }
  /** Sorted set: pending reminder ids, score = next fire ms. The schedule's source of truth. */
  due(): string {
    return `${this.prefix}due`;
  }
  /** String with a lease (PX): which instance holds the occurrence `<id>:<slotMs>` (its owner token). */
  claim(id: string, slot: number): string {
    return `${this.prefix}claim:${occurrenceId(id, slot)}`;
  }
  /** Hash: a login session (openid, session_key) with the session TTL. */
  session(token: string): string {
    return `${this.prefix}session:${token}`;
  }
  /** Hash: a user's profile (openid, unionid, first and last login). */
  user(openid: string): string {
    return `${this.prefix}user:${openid}`;
  }
  /** Hash: templateId → the client's last reported popup result (JSON `{result, at}`). */
  subscriptionReports(openid: string): string {
    return `${this.prefix}user:${openid}:subscriptions`;
  }
  /** Hash: templateId → remaining one-time subscription grants. */
  quota(openid: string): string {
    return `${this.prefix}quota:${openid}`;
  }
  /** String with TTL: the shared WeChat access_token. */
  accessToken(): string {
    return `${this.prefix}wx:access_token`;
  }
  /** String with TTL: the lock of whoever refreshes the access_token. */
  accessTokenLock(): string {
    return `${this.prefix}wx:access_token:lock`;
  }
  /** String with TTL: a force_refresh happened recently (WeChat allows one per 30 s). */
  accessTokenForce(): string {
    return `${this.prefix}wx:access_token:force`;
  }
  /** String with TTL: sends are paused until this key expires (WeChat 45009). */
  sendPause(): string {
    return `${this.prefix}wx:send_paused`;
  }
  /**
   * String `<startMs>:<endMs>` with TTL (a day past its end): the latest 45009 pause, merged with
   * the one before when they overlap, so occurrences it held back measure their grace from its end.
   */
  sendPauseWindow(): string {
    return `${this.prefix}wx:send_paused:window`;
  }
  /** String counter with TTL (2 days): subscribe messages sent to one user on `day` (YYYY-MM-DD). */
  userDailySends(openid: string, day: string): string {
    return `${this.prefix}user:${openid}:sends:${day}`;
  }
  /** String counter: the next reminder id the retention pass examines (shared by every instance). */
  retentionCursor(): string {
    return `${this.prefix}retention:cursor`;
  }
  /** String with TTL: msgid → the occurrence `<reminderId>:<slotMs>`, for message push's delivery events. */
  msgid(msgid: string): string {
    return `${this.prefix}msgid:${msgid}`;
  }
  /** String with TTL: the first answer of a create with an Idempotency-Key. */
  idempotency(openid: string, key: string): string {
    return `${this.prefix}idem:${openid}:${key}`;
  }
  /** String with TTL (SET NX): a message-push delivery already processed, or a nonce already seen. */
  pushSeen(key: string): string {
    return `${this.prefix}push:seen:${key}`;
  }
  /**
   * Hash per UTC day (`YYYY-MM-DD`): outcome (src/delivery/outcome.ts) → occurrences that ended so
   * that day. `sendStats('')` is the prefix confirm-delivery.lua appends an attempt's day to.
   */
  sendStats(day: string): string {
    return `${this.prefix}stats:sends:${day}`;
  }
  /** INCR counter behind notification ids (src/store/notification-store.ts). */
  notificationSeq(): string {
    return `${this.prefix}seq:notification`;
  }
  /**
   * Hash: one notification (a one-off subscribe message). Its keys share the hash tag of its
   * shard, `{n<id mod NOTIFICATION_SHARDS>}`, so each notification script stays in one cluster slot.
   */
  notification(shard: number, id: string): string {
    return `${this.prefix}notification:{n${shard}}:${id}`;
  }
  /** String with a lease (PX): which instance holds the notification's one occurrence. */
  notificationClaim(shard: number, id: string): string {
    return `${this.prefix}notification:{n${shard}}:${id}:claim`;
  }
  /** Capped list (newest first) of JSON delivery attempts of one notification. */
  notificationDeliveries(shard: number, id: string): string {
    return `${this.prefix}notification:{n${shard}}:${id}:deliveries`;
  }
  /** Sorted set per shard: pending notification ids, score = when to send (ms). */
  notificationsDue(shard: number): string {
    return `${this.prefix}notifications:{n${shard}}:due`;
  }
  /** String with TTL: a sender's dedupe key → the notification it created (sent once). */
  notificationDedupe(shard: number, key: string): string {
    return `${this.prefix}notifications:{n${shard}}:dedupe:${key}`;
  }
  /** Sorted set per shard: one recipient's notification ids, score = created ms (export, erase). */
  userNotifications(shard: number, openid: string): string {
    return `${this.prefix}notifications:{n${shard}}:user:${openid}`;
  }
  /** Hash per shard and UTC day: outcome → notifications that ended so that day (summed with sendStats). */
  notificationStats(shard: number, day: string): string {
    return `${this.prefix}stats:{n${shard}}:sends:${day}`;
  }
  /** Pub/sub channel of schedule changes and reload requests between instances. */
  eventsChannel(): string {
    return `${this.prefix}events`;
  }
  /** Pub/sub channel on which instances answer one reload request. */
  reloadReplyChannel(requestId: string): string {
    return `${this.prefix}reload:${requestId}`;
  }
  /**
   * Hash: one promise between two people (src/domain/promise.ts). Its id comes from the reminder
   * counter (`seq:reminder`); its keys share the hash tag `{<id>}`, one cluster slot per promise.
   */
  promise(id: string): string {
    return `${this.prefix}promise:{${id}}`;
  }
  /** Hash: a promise's days, `YYYY-MM-DD` (in its zone) → `kept` or `missed`. */
  promiseDays(id: string): string {
    return `${this.prefix}promise:{${id}}:days`;
  }
  /** String with TTL (the invite's 7 days + 30): an invite code → its promise id. */
  promiseInvite(code: string): string {
    return `${this.prefix}promises:invite:${code}`;
  }
  /** Sorted set: active promises, score = when the next day to evaluate ends (ms). */
  promisesDue(): string {
    return `${this.prefix}promises:due`;
  }
  /** Sorted set: the promises a user is author or counterpart of, score = the id. */
  userPromises(openid: string): string {
    return `${this.prefix}user:${openid}:promises`;
  }
  /**
   * Sorted set: a user's login session tokens, score = when each expires (ms); pruned at each login
   * and expiring with the newest session, so erasing the user finds every session without a SCAN.
   */
  userSessions(openid: string): string {
    return `${this.prefix}user:${openid}:sessions`;
  }
  /**
   * String with TTL: the tombstone of a user who erased their data (DELETE /api/me), so that later
   * pushes about them are dropped. Named by SHA-256 of prefix and openid: it does not name them.
   */
  erasedUser(openid: string): string {
    const digest = createHash('sha256').update(`${this.prefix}${openid}`).digest('base64url');
    return `${this.prefix}erased:${digest}`;
  }
}
