import { createHash } from 'node:crypto';
import { utcDay, type Outcome } from '../delivery/outcome';
import { notificationFromHash, notificationToHash, type Notification } from '../domain/notification';
import type { DeliveryAttempt, LastResult } from '../domain/reminder';
import type { Keys } from './keys';
import { LuaScript, scripts } from './lua-script';
import type { Redis } from './redis';
import { perShard } from './shards';

const createNotifications = new LuaScript('create-notifications');
const claimNotifications = new LuaScript('claim-notifications');
const finishNotifications = new LuaScript('finish-notifications');
const appendDeliveries = new LuaScript('append-deliveries');
const confirmNotification = new LuaScript('confirm-notification');
const MSGID_TTL_SECONDS = 7 * 24 * 3600; // as reminders': how long a push report can still find its send

/**
 * Notifications are spread over this many shards. A notification's keys carry its shard's hash tag
 * (`{n<shard>}`, src/store/keys.ts), so every script touches one cluster slot, and a burst (a notice
 * to 10,000 members) still goes to Redis in a few calls: one per shard.
 */
export const NOTIFICATION_SHARDS = 16;
export const NOTIFICATION_DELIVERIES_KEPT = 20;
const DEDUPE_TTL_SECONDS = 30 * 86_400;

export type NotificationClaim =
  { ok: true; notification: Notification } | { ok: false; reason: 'stale' | 'busy' };

/** What a new notification says, whoever receives it (many recipients may share one). */
export type SharedDraft = Omit<
  Notification,
  'id' | 'openid' | 'dedupe' | 'status' | 'createdAt' | 'updatedAt' | 'lastResult' | 'confirmed'
>;

/** A notification to store: its content and its recipient (with the sender's dedupe key, if any). */
export interface NotificationDraft {
  shared: SharedDraft;
  to: { openid: string; dedupe?: string };
}

/** One notification to store, all its fields in one object. */
export type NewNotification = SharedDraft & { openid: string; dedupe?: string };

export interface NotificationFinish {
  id: string;
  owner: string;
  outcome: Outcome;
  lastResult: LastResult;
  now: number;
  msgid: string | null; // WeChat's id of the send, linked for its push report
  openid: string; // whom it was sent to: the msgid link lives in their shard
  attempt?: DeliveryAttempt; // the attempt that ended it, appended in the same call
}

/** What a push report did to a notification (see confirm-notification.lua). */
export type NotificationConfirmOutcome = 'delivered' | 'failed' | 'unchanged' | 'missing' | 'foreign';

/** A notification's send as the feature that asked for it sees it. */
export interface NotificationState {
  status: Notification['status'];
  delivery: 'delivered' | 'failed' | null; // WeChat's push report, when it came
}

/** The value of `msgid:<msgid>` for a notification (a reminder's is its occurrence `<id>:<slot>`). */
export const NOTIFICATION_MSGID_PREFIX = 'notification:';

/** The shard of a notification id (ids are `seq × NOTIFICATION_SHARDS + shard`). */
export function shardOf(id: string): number {
  return Number(id) % NOTIFICATION_SHARDS;
}

/** The shard a dedupe key lives in, so its notification can be created in the same script. */
function shardOfKey(key: string): number {
  return createHash('sha1').update(key).digest()[0]! % NOTIFICATION_SHARDS;
}

/** The record fields every recipient of `shared` has alike, as JSON members (no braces). */
function sharedFields(shared: SharedDraft, now: number): string {
  const {
    id: _id,
    openid: _openid,
    ...fields
  } = notificationToHash({
    ...shared,
    id: '',
    openid: '',
    status: 'pending',
    createdAt: now,
    updatedAt: now,
  });
  return JSON.stringify(fields).slice(1, -1);
}

/** Notifications, their due index, claims and delivery records in Redis (README.md#redis-keys). */
export class NotificationStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly retentionMs: number,
  ) {}

  /**
   * Stores notifications (one script call per shard). A dedupe key already used returns the
   * notification it created, `created: false`, and stores nothing.
   */
  create(inputs: readonly NewNotification[], now: number): Promise<{ id: string; created: boolean }[]> {
    return this.createDrafts(
      inputs.map(({ openid, dedupe, ...shared }) => ({
        shared,
        to: dedupe ? { openid, dedupe } : { openid },
      })),
      now,
    );
  }

  /** create(), for drafts that may share their content: one `shared` object is encoded once (a notice's fan-out). */
  async createDrafts(
    inputs: readonly NotificationDraft[],
    now: number,
  ): Promise<{ id: string; created: boolean }[]> {
    if (inputs.length === 0) return [];
    const last = await this.redis.incrBy(this.keys.notificationSeq(), inputs.length);
    const fragments = new Map<SharedDraft, string>();
    const drafts = inputs.map((input, i) => {
      const seq = last - inputs.length + 1 + i;
      const { dedupe } = input.to;
      const shard = dedupe ? shardOfKey(dedupe) : seq % NOTIFICATION_SHARDS;
      let fragment = fragments.get(input.shared);
      if (fragment === undefined) {
        fragment = sharedFields(input.shared, now);
        fragments.set(input.shared, fragment);
      }
      return { input, shard, fragment, id: String(seq * NOTIFICATION_SHARDS + shard) };
    });
    return perShard(
      drafts,
      (d) => d.shard,
      async (shard, group) => {
        const k = this.keys;
        const keys = [k.notificationsDue(shard)];
        const args: (string | number)[] = [DEDUPE_TTL_SECONDS, now, this.retentionMs];
        for (const { input, id, fragment } of group) {
          const { openid, dedupe } = input.to;
          const hash = k.notification(shard, id);
          keys.push(
            hash,
            k.userNotifications(shard, openid),
            dedupe ? k.notificationDedupe(shard, dedupe) : hash,
          );
          // The dedupe key is kept on the record, so erasing the recipient finds and deletes it.
          const own = `"id":"${id}","openid":${JSON.stringify(openid)}${dedupe ? `,"dedupe":${JSON.stringify(dedupe)}` : ''}`;
          args.push(id, input.shared.at, `{${own},${fragment}}`, dedupe ? '1' : '0');
        }
        const rows = await createNotifications.run<[string, number][]>(this.redis, keys, args);
        return rows.map(([id, created]) => ({ id: String(id), created: created === 1 }));
      },
    );
  }

  async get(id: string): Promise<Notification | null> {
    return notificationFromHash(await this.redis.hGetAll(this.keys.notification(shardOf(id), id)));
  }

  /** The notification's delivery attempts, newest first. */
  async deliveries(id: string): Promise<DeliveryAttempt[]> {
    const rows = await this.redis.lRange(this.keys.notificationDeliveries(shardOf(id), id), 0, -1);
    return rows.map((row) => JSON.parse(row) as DeliveryAttempt);
  }

  /** Claims many occurrences (claim-notifications.lua, one call per shard); results in the order asked. */
  claimMany(
    claims: { id: string; slot: number; owner: string }[],
    leaseMs: number,
  ): Promise<NotificationClaim[]> {
    return perShard(
      claims,
      (c) => shardOf(c.id),
      async (shard, group) => {
        const keys = [this.keys.notificationsDue(shard)];
        const args: (string | number)[] = [leaseMs];
        for (const c of group) {
          keys.push(this.keys.notification(shard, c.id), this.keys.notificationClaim(shard, c.id));
          args.push(c.id, c.slot, c.owner);
        }
        const rows = await claimNotifications.run<[string, string[]?][]>(this.redis, keys, args);
        return rows.map(([state, flat]): NotificationClaim => {
          if (state !== 'ok' || !flat) return { ok: false, reason: state === 'busy' ? 'busy' : 'stale' };
          const hash: Record<string, string> = {};
          for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string;
          const notification = notificationFromHash(hash);
          return notification ? { ok: true, notification } : { ok: false, reason: 'stale' };
        });
      },
    );
  }

  async extendClaim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const claim = this.keys.notificationClaim(shardOf(id), id);
    return (await scripts.extendClaim.run<number>(this.redis, [claim], [owner, leaseMs])) === 1;
  }

  async releaseClaim(id: string, owner: string): Promise<boolean> {
    const claim = this.keys.notificationClaim(shardOf(id), id);
    return (await scripts.compareAndDelete.run<number>(this.redis, [claim], [owner])) === 1;
  }

  /** Appends attempts to their notifications' capped delivery lists (one call per shard). */
  async appendDeliveries(attempts: { id: string; attempt: DeliveryAttempt }[]): Promise<void> {
    await perShard(
      attempts,
      (a) => shardOf(a.id),
      async (shard, group) => {
        await appendDeliveries.run(
          this.redis,
          group.map((a) => this.keys.notificationDeliveries(shard, a.id)),
          [NOTIFICATION_DELIVERIES_KEPT, ...group.map((a) => JSON.stringify(a.attempt))],
        );
        return group.map(() => undefined);
      },
    );
  }

  /**
   * Records outcomes, each with its own attempt (finish-notifications.lua, one call per shard);
   * 'lost' where the claim was not ours (the attempt is kept all the same: it was made).
   */
  async finishMany(inputs: NotificationFinish[]): Promise<('ok' | 'lost')[]> {
    const k = this.keys;
    // The msgid link lives outside the shard (a report knows only the msgid), so it is a command
    // of its own, sent with the scripts (as ReminderStore.finishMany's): one round trip for all.
    // A link whose outcome turns out 'lost' is harmless: confirm-notification.lua only touches the
    // send whose lastResult carries that msgid.
    const links = inputs.flatMap((f) =>
      f.msgid
        ? [
            this.redis.set(k.msgid(f.openid, f.msgid), `${NOTIFICATION_MSGID_PREFIX}${f.id}`, {
              EX: MSGID_TTL_SECONDS,
            }),
          ]
        : [],
    );
    const outcomes = perShard(
      inputs,
      (f) => shardOf(f.id),
      (shard, group) => {
        const keys = [k.notificationsDue(shard)];
        const args: (string | number)[] = [Math.ceil(this.retentionMs / 1000), NOTIFICATION_DELIVERIES_KEPT];
        for (const f of group) {
          keys.push(
            k.notification(shard, f.id),
            k.notificationClaim(shard, f.id),
            k.notificationDeliveries(shard, f.id),
            k.notificationStats(shard, utcDay(f.now)),
          );
          args.push(
            f.id,
            f.owner,
            f.outcome,
            JSON.stringify(f.lastResult),
            f.now,
            f.attempt ? JSON.stringify(f.attempt) : '',
          );
        }
        return finishNotifications.run<('ok' | 'lost')[]>(this.redis, keys, args);
      },
    );
    const [answers] = await Promise.all([outcomes, ...links]);
    return answers;
  }

  /** Each notification's status and push report, in the order asked (null: no such notification). */
  async states(ids: readonly string[]): Promise<(NotificationState | null)[]> {
    const rows = await Promise.all(
      ids.map((id) => this.redis.hmGet(this.keys.notification(shardOf(id), id), ['status', 'confirmed'])),
    );
    return rows.map(([status, confirmed]) => {
      if (!status) return null;
      const report = confirmed ? (JSON.parse(confirmed) as { errorCode: string }) : null;
      const delivery = report ? (/^[+-]?0*$/.test(report.errorCode) ? 'delivered' : 'failed') : null;
      return { status: status as Notification['status'], delivery };
    });
  }

  /** Applies WeChat's report on the send of notification `id` that got `msgid` (confirm-notification.lua). */
  async confirm(
    id: string,
    msgid: string,
    openid: string,
    report: {
      confirmed: { at: string; errorCode: string; status: string };
      failed: boolean;
      errcode: number | null;
      now: number;
    },
  ): Promise<NotificationConfirmOutcome> {
    const shard = shardOf(id);
    const hash = this.keys.notification(shard, id);
    const last = await this.redis.hGet(hash, 'lastResult');
    if (!last) return 'missing';
    const day = utcDay(Date.parse((JSON.parse(last) as LastResult).at) || report.now);
    return confirmNotification.run<NotificationConfirmOutcome>(
      this.redis,
      [hash, this.keys.notificationStats(shard, day)],
      [
        msgid,
        openid,
        JSON.stringify(report.confirmed),
        report.failed ? '1' : '0',
        report.errcode === null ? '' : report.errcode,
        report.now,
      ],
    );
  }

  /** Pending notifications due up to `untilMs`, from every shard (at most `limit` per shard). */
  async due(untilMs: number, limit: number): Promise<{ id: string; at: number }[]> {
    const shards = Array.from({ length: NOTIFICATION_SHARDS }, (_, shard) => shard);
    const slices = await Promise.all(
      shards.map((shard) =>
        this.redis.zRangeWithScores(this.keys.notificationsDue(shard), '-inf', untilMs, {
          BY: 'SCORE',
          LIMIT: { offset: 0, count: limit },
        }),
      ),
    );
    return slices.flat().map((row) => ({ id: row.value, at: row.score }));
  }

  /** Every notification `openid` received in the retention period, with its delivery attempts. */
  async forRecipient(
    openid: string,
  ): Promise<{ notification: Notification; deliveries: DeliveryAttempt[] }[]> {
    const ids = await this.recipientIds(openid);
    const found = await Promise.all(
      ids.map(async (id) => {
        const notification = await this.get(id);
        return notification ? { notification, deliveries: await this.deliveries(id) } : null;
      }),
    );
    return found.filter((f) => f !== null);
  }

  /**
   * Erases every notification `openid` received: the records, their claims, due entries, delivery
   * lists, dedupe keys and msgid links, and the recipient index. Returns how many were erased.
   */
  async eraseRecipient(openid: string): Promise<number> {
    const ids = await this.recipientIds(openid);
    await Promise.all(
      ids.map(async (id) => {
        const shard = shardOf(id);
        const hash = this.keys.notification(shard, id);
        const [dedupe, last] = await this.redis.hmGet(hash, ['dedupe', 'lastResult']);
        const msgids = new Set((await this.deliveries(id)).flatMap((a) => (a.msgid ? [a.msgid] : [])));
        const lastMsgid = last ? (JSON.parse(last) as LastResult).msgid : null;
        if (lastMsgid) msgids.add(lastMsgid);
        await this.redis.zRem(this.keys.notificationsDue(shard), id);
        await this.redis.del([
          hash,
          this.keys.notificationClaim(shard, id),
          this.keys.notificationDeliveries(shard, id),
        ]);
        if (dedupe) await this.redis.del(this.keys.notificationDedupe(shard, dedupe));
        // One key each: the links live outside the shard (a report knows only the msgid).
        for (const msgid of msgids) {
          await this.redis.del(this.keys.msgid(openid, msgid));
          await this.redis.del(this.keys.legacyMsgid(msgid));
        }
      }),
    );
    const shards = Array.from({ length: NOTIFICATION_SHARDS }, (_, shard) => shard);
    await Promise.all(shards.map((shard) => this.redis.del(this.keys.userNotifications(shard, openid))));
    return ids.length;
  }

  private async recipientIds(openid: string): Promise<string[]> {
    const shards = Array.from({ length: NOTIFICATION_SHARDS }, (_, shard) => shard);
    const lists = await Promise.all(
      shards.map((shard) => this.redis.zRange(this.keys.userNotifications(shard, openid), 0, -1)),
    );
    return lists.flat();
  }
}
