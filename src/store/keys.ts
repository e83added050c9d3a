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
  /** INCR counter that hands out group ids. */
  groupSeq(): string {
    return `${this.prefix}seq:group`;
  }
  /**
   * Hash: one group (src/domain/group.ts). Its keys share the hash tag `{g<id>}`, so each group
   * script stays in one cluster slot.
   */
  group(id: string): string {
    return `${this.prefix}group:{g${id}}`;
  }
  /** Hash: a group's members, openid → member JSON (memberId, role, tags, profile, joinedAt). */
  groupMembers(id: string): string {
    return `${this.prefix}group:{g${id}}:members`;
  }
  /** Sorted set: a group's members' openids, score = memberId (join order, paging, memberId → openid). */
  groupRoster(id: string): string {
    return `${this.prefix}group:{g${id}}:roster`;
  }
  /** String: an invite code → its group id (deleted when the code is rotated or the group deleted). */
  groupInvite(code: string): string {
    return `${this.prefix}groups:invite:${code}`;
  }
  /** Sorted set: the groups a user belongs to, score = the group id. */
  userGroups(openid: string): string {
    return `${this.prefix}user:${openid}:groups`;
  }
  /** Sorted set: the groups a user owns, score = the group id (the per-user limit counts it). */
  userOwnedGroups(openid: string): string {
    return `${this.prefix}user:${openid}:owned-groups`;
  }
  /** String with TTL: a `wxa/getwxacodeunlimit` image (base64 PNG) for one page and scene. */
  wxaCode(page: string, scene: string): string {
    return `${this.prefix}wxacode:${page}:${scene}`;
  }
  /** INCR counter that hands out notice ids. */
  noticeSeq(): string {
    return `${this.prefix}seq:notice`;
  }
  /**
   * Hash: one notice (src/domain/notice.ts): its content, status and publication job. Its keys
   * share the hash tag `{nt<id>}`, so each notice script stays in one cluster slot.
   */
  notice(id: string): string {
    return `${this.prefix}notice:{nt${id}}`;
  }
  /** Hash: a notice's recipients as resolved once, openid → recipient JSON (index, member, push). */
  noticeRecipients(id: string): string {
    return `${this.prefix}notice:{nt${id}}:recipients`;
  }
  /** Sorted set: a notice's recipients' openids, score = their index (fan-out and listing order). */
  noticeOrder(id: string): string {
    return `${this.prefix}notice:{nt${id}}:order`;
  }
  /** Sorted set: the recipients who read the notice, score = when (ms). */
  noticeReads(id: string): string {
    return `${this.prefix}notice:{nt${id}}:read`;
  }
  /** Sorted set: the recipients who confirmed the notice, score = when (ms). */
  noticeConfirms(id: string): string {
    return `${this.prefix}notice:{nt${id}}:confirmed`;
  }
  /** Sorted set: notices with a job to do (publish, retract), score = when it is due or its lease ends (ms). */
  noticesDue(): string {
    return `${this.prefix}notices:due`;
  }
  /** String with TTL (24 h): a notice create's Idempotency-Key → `<id>`. */
  noticeIdempotency(openid: string, key: string): string {
    return `${this.prefix}notices:idem:${openid}:${key}`;
  }
  /** Sorted set: the notices a user wrote, score = the id. */
  userNotices(openid: string): string {
    return `${this.prefix}user:${openid}:notices`;
  }
  /**
   * Sorted set, all scores 0: a user's inbox, members `<publishedAt, 13 digits>:<noticeId>` (lexical
   * order = publication order). Inbox keys carry the hash tag of the user's inbox shard `{u<shard>}`,
   * so one script writes a notice into the inboxes of every recipient of a shard.
   */
  inbox(shard: number, openid: string): string {
    return `${this.prefix}inbox:{u${shard}}:${openid}`;
  }
  /** Sorted set: the unread part of a user's inbox (its ZCARD is the unread count). */
  inboxUnread(shard: number, openid: string): string {
    return `${this.prefix}inbox:{u${shard}}:${openid}:unread`;
  }
  /** Sorted set: a user's inbox entries of one category. */
  inboxCategory(shard: number, openid: string, category: string): string {
    return `${this.prefix}inbox:{u${shard}}:${openid}:c:${category}`;
  }
  /** Sorted set: a user's unread inbox entries of one category. */
  inboxCategoryUnread(shard: number, openid: string, category: string): string {
    return `${this.prefix}inbox:{u${shard}}:${openid}:c:${category}:unread`;
  }
  /** Set: the notice categories a user muted (no push unless urgent; the inbox entry stays). */
  noticeMutes(shard: number, openid: string): string {
    return `${this.prefix}inbox:{u${shard}}:${openid}:muted`;
  }
  /** INCR counter that hands out check-in ids. */
  checkinSeq(): string {
    return `${this.prefix}seq:checkin`;
  }
  /**
   * Hash: one meeting check-in (src/domain/checkin.ts) with its sign-in counts. Its keys share the
   * hash tag `{c<id>}`, so each check-in script stays in one cluster slot.
   */
  checkin(id: string): string {
    return `${this.prefix}checkin:{c${id}}`;
  }
  /** Hash: a check-in's sign-ins, openid → JSON `{memberId, status, at, distanceM}`. */
  checkinSigns(id: string): string {
    return `${this.prefix}checkin:{c${id}}:signs`;
  }
  /** Sorted set, PX 1 min: one member's wrong codes for a check-in, score = when (ms). */
  checkinWrongCodes(id: string, openid: string): string {
    return `${this.prefix}checkin:{c${id}}:wrong:${openid}`;
  }
  /** Sorted set: the check-ins a user signed in to or tried to, score = when last (ms). */
  userCheckins(openid: string): string {
    return `${this.prefix}user:${openid}:checkins`;
  }
  /**
   * Capped list (newest first) of one user's customer-service conversation: JSON entries, their
   * messages and the bot's and agents' answers (src/store/conversation-store.ts). The user's
   * conversation keys share the hash tag `{<openid>}`, one cluster slot per user.
   */
  conversation(openid: string): string {
    return `${this.prefix}conversation:{${openid}}`;
  }
  /** Hash: the user's customer-service window (`remaining`, `until` ms, `kind`: message or session). */
  conversationWindow(openid: string): string {
    return `${this.prefix}conversation:{${openid}}:window`;
  }
  /** Sorted set: users with a conversation, score = its last activity (ms), for the agents' list. */
  conversations(): string {
    return `${this.prefix}conversations`;
  }
  /**
   * String with TTL (SET NX): a customer-service push already taken (`pending`, `answered` or
   * `transfer`), named by SHA-256 of its dedup key so that it does not name the user.
   */
  botSeen(digest: string): string {
    return `${this.prefix}bot:seen:${digest}`;
  }
  /** String: the bot's rule table as JSON (src/services/bot-rules.ts), seeded from config/bot.json. */
  botRules(): string {
    return `${this.prefix}bot:rules`;
  }
  /** String with TTL: an image's temporary media_id, named by SHA-256 of its bytes (`{mediaId, createdAt}`). */
  botMedia(digest: string): string {
    return `${this.prefix}bot:media:${digest}`;
  }
  /**
   * Hash with TTL (2 min): a console QR sign-in in progress (`status` pending/approved, `poller`:
   * SHA-256 of the browser's poll secret, `openid` once approved). Named by SHA-256 of its nonce,
   * so no key names what the QR code carries.
   */
  consoleLogin(nonceDigest: string): string {
    return `${this.prefix}console:login:${nonceDigest}`;
  }
  /**
   * Hash with TTL (CONSOLE_SESSION_TTL_SECONDS): one web console session (`kind` operator or
   * publisher, `openid` for a publisher, `csrf`, `createdAt`, `expiresAt`). Named by SHA-256 of the
   * cookie's token: a key listing never shows a usable session.
   */
  consoleSession(tokenDigest: string): string {
    return `${this.prefix}console:session:${tokenDigest}`;
  }
  /** Sorted set: a publisher's console sessions (token digests, score = expiry ms), ended with them. */
  userConsoleSessions(openid: string): string {
    return `${this.prefix}user:${openid}:console-sessions`;
  }
  /** String with TTL (1 min): console sign-ins started from one client address this minute. */
  consoleLoginRate(client: string): string {
    return `${this.prefix}console:login-rate:${client}`;
  }
  /** Hash: running instances for the console, instance id → JSON heartbeat (pruned when stale). */
  instances(): string {
    return `${this.prefix}instances`;
  }
}
