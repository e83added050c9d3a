import { createHash } from 'node:crypto';
import { occurrenceId } from '../domain/reminder';

/** DUE_SHARDS' default: how many shards the reminder core's keyspace is split into. */
export const DEFAULT_DUE_SHARDS = 16;

/**
 * The shard of a user among `shards`: SHA-1 of the openid, its first byte modulo `shards` (at most
 * 256). One function for every per-user shard (the reminder core's `{u<shard>}` and the inboxes'),
 * so that with the same count a user's keys of both share one hash tag.
 */
export function userShardOf(openid: string, shards: number): number {
  return shardByte(openid) % shards;
}

// A request builds several keys of one user, a spike thousands: the byte is remembered (a SHA-1
// costs microseconds). Bounded: emptied when full, so no input grows it without limit.
const SHARD_BYTES_KEPT = 10_000;
const shardBytes = new Map<string, number>();

function shardByte(openid: string): number {
  let byte = shardBytes.get(openid);
  if (byte === undefined) {
    byte = createHash('sha1').update(openid).digest()[0]!;
    if (shardBytes.size >= SHARD_BYTES_KEPT) shardBytes.clear();
    shardBytes.set(openid, byte);
  }
  return byte;
}

/**
 * Every Redis key tixing uses, built in one place (README.md#redis-keys). All keys live under the configured
 * prefix so several deployments (and every test file) can share one Redis.
 */
export class Keys {
  constructor(
    readonly prefix: string,
    /** DUE_SHARDS: fixed for the life of the data (a reminder's id names its shard). */
    readonly dueShards: number = DEFAULT_DUE_SHARDS,
  ) {}

  // The reminder core (reminders, their schedule, claims and deliveries, and the per-user ledgers
  // a send takes from) is split into `dueShards` shards. A user's shard is userShardOf(openid); a
  // reminder lives in its owner's shard, and its id names it: id = seq × dueShards + shard. Every
  // key of one shard carries the hash tag `{u<shard>}`, so each script or MULTI of the core stays
  // in one cluster slot while a user's create, edit, claim, admission and finish stay atomic.

  /** The shard of a user (their reminders, indexes, grants and daily counters). */
  userShard(openid: string): number {
    return userShardOf(openid, this.dueShards);
  }
  /** The shard of a reminder, read from its id (ids are `seq × dueShards + shard`). */
  reminderShard(id: string): number {
    return Number(id) % this.dueShards;
  }
  /** The id of the `seq`-th reminder of `shard`. */
  reminderId(shard: number, seq: number): string {
    return String(seq * this.dueShards + shard);
  }
  /**
   * INCR counter of the old layout, before the keyspace was sharded (scripts/migrate-keys.ts moves
   * reminders off it). Promise ids still come from it.
   */
  reminderSeq(): string {
    return `${this.prefix}seq:reminder`;
  }
  /** String: the DUE_SHARDS this data was written with (set at first start; a start with another refuses). */
  dueShardsMark(): string {
    return `${this.prefix}due-shards`;
  }
  /** Sorted set of the layout before shards: the one `due` index (scripts/migrate-keys.ts moves it). */
  legacyDue(): string {
    return `${this.prefix}due`;
  }
  /** INCR counter per shard: the `seq` of the shard's next reminder id. */
  reminderShardSeq(shard: number): string {
    return `${this.prefix}seq:{u${shard}}:reminder`;
  }
  /** Hash: one reminder's fields. */
  reminder(id: string): string {
    return `${this.prefix}reminder:{u${this.reminderShard(id)}}:${id}`;
  }
  /** Capped list (newest first) of JSON delivery attempts of one reminder. */
  deliveries(id: string): string {
    return `${this.prefix}reminder:{u${this.reminderShard(id)}}:${id}:deliveries`;
  }
  /** Sorted set: a user's reminder ids, score = the id (ids grow with creation within a shard). */
  userReminders(openid: string): string {
    return `${this.prefix}user:{u${this.userShard(openid)}}:${openid}:reminders`;
  }
  /** Set: a user's pending reminder ids (the 500-pending limit counts it). */
  userPending(openid: string): string {
    return `${this.prefix}user:{u${this.userShard(openid)}}:${openid}:pending`;
  }
  /** Sorted set per shard: the shard's pending reminder ids, score = next fire ms. The schedule's source of truth. */
  due(shard: number): string {
    return `${this.prefix}due:{u${shard}}`;
  }
  /** String with a lease (PX): which instance holds the occurrence `<id>:<slotMs>` (its owner token). */
  claim(id: string, slot: number): string {
    return `${this.prefix}claim:{u${this.reminderShard(id)}}:${occurrenceId(id, slot)}`;
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
    return `${this.prefix}user:{u${this.userShard(openid)}}:${openid}:subscriptions`;
  }
  /** Hash: templateId → remaining one-time subscription grants. */
  quota(openid: string): string {
    return `${this.prefix}quota:{u${this.userShard(openid)}}:${openid}`;
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
  /**
   * String with TTL: sends are paused until this key expires (WeChat 45009). Global: read once per
   * admission batch, beside the per-shard admission scripts.
   */
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
    return `${this.prefix}user:{u${this.userShard(openid)}}:${openid}:sends:${day}`;
  }
  /** String counter per shard: the last `seq` of the shard the retention pass handed out (shared by every instance). */
  retentionCursor(shard: number): string {
    return `${this.prefix}retention:{u${shard}}:cursor`;
  }
  /** INCR counter: which shard the next retention run examines (round robin over the shards). */
  retentionShard(): string {
    return `${this.prefix}retention:shard`;
  }
  /**
   * String with TTL: msgid → the occurrence `<reminderId>:<slotMs>` (or `notification:<id>`), for
   * message push's delivery events; in the shard of the user it was sent to (the event names them),
   * so the finish of the send writes it in the same script.
   */
  msgid(openid: string, msgid: string): string {
    return `${this.prefix}msgid:{u${this.userShard(openid)}}:${msgid}`;
  }
  /** The same link as written before it moved into the user's shard: read until such links expire. */
  legacyMsgid(msgid: string): string {
    return `${this.prefix}msgid:${msgid}`;
  }
  /** String with TTL: the first answer of a create with an Idempotency-Key. */
  idempotency(openid: string, key: string): string {
    return `${this.prefix}idem:{u${this.userShard(openid)}}:${openid}:${key}`;
  }
  /** String with TTL (SET NX): a message-push delivery already processed, or a nonce already seen. */
  pushSeen(key: string): string {
    return `${this.prefix}push:seen:${key}`;
  }
  /**
   * String with TTL (SET NX): a subscription push event already applied to a user's ledger, named
   * by a digest of its dedup key; in the user's shard, so the mark and the ledger change together.
   */
  subscriptionEventSeen(openid: string, digest: string): string {
    return `${this.prefix}push:{u${this.userShard(openid)}}:seen:${digest}`;
  }
  /**
   * Hash per shard and UTC day (`YYYY-MM-DD`): outcome (src/delivery/outcome.ts) → the shard's
   * occurrences that ended so that day (StatsStore sums the shards).
   */
  sendStats(shard: number, day: string): string {
    return `${this.prefix}stats:{u${shard}}:sends:${day}`;
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
   * Hash: one promise between two people (src/domain/promise.ts). Its id is from the reminder id
   * space: a `give` shares its reminder's id, an `ask` reserves one from its author's shard's
   * reminder counter (older promises' came from `seq:reminder`); its keys share the hash tag
   * `{<id>}`, one cluster slot per promise.
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
  /**
   * Sorted set: active promises, score = when the next day to evaluate ends (ms). One key of its
   * own slot, only ever written by single-key commands beside the promise's scripts.
   */
  promisesDue(): string {
    return `${this.prefix}promises:due`;
  }
  /** Sorted set: the promises a user is author or counterpart of, score = the id. In the user's shard. */
  userPromises(openid: string): string {
    return `${this.prefix}user:{u${this.userShard(openid)}}:${openid}:promises`;
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
  /** Sorted set: the groups a user belongs to, score = the group id. In the user's shard. */
  userGroups(openid: string): string {
    return `${this.prefix}user:{u${this.userShard(openid)}}:${openid}:groups`;
  }
  /** Sorted set: the groups a user owns, score = the group id (the per-user limit counts it). In the user's shard. */
  userOwnedGroups(openid: string): string {
    return `${this.prefix}user:{u${this.userShard(openid)}}:${openid}:owned-groups`;
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
  /**
   * Hash: a notice's progress over time, field `<minute start ms>:<state>` → how many recipients
   * reached that state in that minute (sent, delivered, failed, read, confirmed). Expires
   * RETENTION_DAYS after its last write.
   */
  noticeProgress(id: string): string {
    return `${this.prefix}notice:{nt${id}}:progress`;
  }
  /** Sorted set: notices with a job to do (publish, retract), score = when it is due or its lease ends (ms). */
  noticesDue(): string {
    return `${this.prefix}notices:due`;
  }
  /** String counter: the highest notice id the notice retention pass has handed out (shared by every instance). */
  noticeRetentionCursor(): string {
    return `${this.prefix}notices:retention:cursor`;
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
  /**
   * Sorted set: a group's check-ins, score = the check-in id (newest first by id). Under the
   * group's hash tag `{g<id>}`; expires with the group's last check-in (RETENTION_DAYS after its end).
   */
  groupCheckins(groupId: string): string {
    return `${this.prefix}group:{g${groupId}}:checkins`;
  }
  /** Sorted set: the check-ins a user signed in to or tried to, score = when last (ms). In the user's shard. */
  userCheckins(openid: string): string {
    return `${this.prefix}user:{u${this.userShard(openid)}}:${openid}:checkins`;
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
  /** Sorted set: a publisher's console sessions (token digests, score = expiry ms), ended with them. In the user's shard. */
  userConsoleSessions(openid: string): string {
    return `${this.prefix}user:{u${this.userShard(openid)}}:${openid}:console-sessions`;
  }
  /** String with TTL (1 min): console sign-ins started from one client address this minute. */
  consoleLoginRate(client: string): string {
    return `${this.prefix}console:login-rate:${client}`;
  }
  /** Hash: running instances for the console, instance id → JSON heartbeat (pruned when stale). */
  instances(): string {
    return `${this.prefix}instances`;
  }
  // Search and the hot ranking (src/store/search-index-store.ts, src/store/notice-activity-store.ts).
  /**
   * Hash: a notice's reads, confirms and comments per UTC day (`<YYYY-MM-DD>:<kind>` → count) for the
   * hot ranking; under the notice's hash tag, expiring when its newest day leaves the 7-day window.
   */
  noticeActivity(id: string): string {
    return `${this.prefix}notice:{nt${id}}:activity`;
  }
  /**
   * Sorted set, all scores 0: the notices addressed to a group that hold one search term (a
   * character or pair of the text `t:<gram>`, a category `c:<name>`, an urgency `u:<level>`, or
   * `all`), members `<publishedAt, 13 digits>:<noticeId, 15 digits>` (lexical order =
   * publication order). Under the group's hash tag `{g<id>}`: one group's index is one cluster slot.
   */
  searchTerm(groupId: string, term: string): string {
    return `${this.prefix}search:{g${groupId}}:${term}`;
  }
  /** Hash: what a notice is indexed under in a group (`member`, `terms` joined by newlines), to unindex it. */
  searchDoc(groupId: string, noticeId: string): string {
    return `${this.prefix}search:{g${groupId}}:doc:${noticeId}`;
  }
  // Comments on notices (src/store/comment-store.ts). A notice's comment keys carry the notice's own
  // hash tag `{nt<id>}`, so each comment script stays in the notice's cluster slot.
  /** INCR counter of one notice's comment and reply ids. */
  commentSeq(noticeId: string): string {
    return `${this.prefix}notice:{nt${noticeId}}:comments:seq`;
  }
  /** Hash: one comment or reply (src/domain/comment.ts). */
  comment(noticeId: string, id: string): string {
    return `${this.prefix}notice:{nt${noticeId}}:comment:${id}`;
  }
  /** Sorted set: a comment's reply ids, score = the id (oldest first). */
  commentReplies(noticeId: string, id: string): string {
    return `${this.prefix}notice:{nt${noticeId}}:comment:${id}:replies`;
  }
  /** Sorted set: every comment of a notice (not replies), score = the id: what managers list. */
  comments(noticeId: string): string {
    return `${this.prefix}notice:{nt${noticeId}}:comments`;
  }
  /** Sorted set: a notice's public comments visible to every reader (its ZCARD is the notice's count). */
  publicComments(noticeId: string): string {
    return `${this.prefix}notice:{nt${noticeId}}:comments:public`;
  }
  /** Sorted set: one author's comments on a notice (private, hidden ones too), score = the id. */
  authorComments(noticeId: string, openid: string): string {
    return `${this.prefix}notice:{nt${noticeId}}:comments:by:${openid}`;
  }
  /** Sorted set: a notice's comments and replies hidden until a manager approves them, score = the id. */
  pendingComments(noticeId: string): string {
    return `${this.prefix}notice:{nt${noticeId}}:comments:pending`;
  }
  /** Sorted set: the comments and replies a user wrote, members `<noticeId>:<id>`, score = when (ms). */
  userComments(shard: number, openid: string): string {
    return `${this.prefix}comments:{u${shard}}:${openid}`;
  }
  /** String counter with PX (2 min): comments and replies a user wrote in minute `window` (ms / 60,000). */
  commentRate(shard: number, openid: string, window: number): string {
    return `${this.prefix}comments:{u${shard}}:${openid}:rate:${window}`;
  }
}
