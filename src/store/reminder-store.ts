import {
  reminderFromHash,
  type DeliveryAttempt,
  type Reminder,
  type ReminderStatus,
  type Repeat,
} from '../domain/reminder';
import { utcDay, type Outcome } from '../delivery/outcome';
import type { Keys } from './keys';
import { LuaScript, scripts } from './lua-script';
import type { Redis } from './redis';
import { allShards, perShard } from './shards';

const purgeReminder = new LuaScript('purge-reminder');
const claimOccurrences = new LuaScript('claim-occurrences');
const finishOccurrences = new LuaScript('finish-occurrences');
const appendDeliveries = new LuaScript('append-deliveries');
const markReminderDone = new LuaScript('mark-reminder-done');
const snoozeReminder = new LuaScript('snooze-reminder');

export const DELIVERIES_KEPT = 50; // attempts kept per reminder (capped list)
const MAX_SCANNED_PER_PAGE = 5000; // records a filtered list may read per request
const MSGID_TTL_SECONDS = 7 * 24 * 3600; // how long a msgid can still be matched by a push event
const CREATE_ATTEMPTS = 20; // creates racing in one shard each take the next id: a few tries at most

/** What a claim reads of a reminder: the fields a send needs (src/delivery/kinds/reminder.ts). */
export type ClaimedReminder = Pick<
  Reminder,
  'id' | 'openid' | 'templateId' | 'page' | 'title' | 'detail' | 'timezone' | 'repeat' | 'data'
>;
// The hash fields claim-occurrences.lua reads (HMGET, not the whole hash), in this order.
const CLAIMED_FIELDS = [
  'id',
  'openid',
  'templateId',
  'page',
  'title',
  'detail',
  'timezone',
  'repeat',
  'data',
];

export type ClaimResult = { ok: true; reminder: ClaimedReminder } | { ok: false; reason: 'stale' | 'busy' };

export interface FinishInput {
  id: string;
  openid: string;
  slot: number;
  owner: string;
  status: Outcome;
  lastResult: Reminder['lastResult'];
  nextSlot: number | null; // recurring: the next occurrence; null: the reminder is done
  now: number;
  msgid: string | null;
  attempt: DeliveryAttempt; // the attempt that ended the occurrence, appended to its delivery list
}

/**
 * Reminders, their indexes and their occurrences' claims in Redis (README.md#redis-keys). The
 * keyspace is split into DUE_SHARDS shards (src/store/keys.ts): a reminder lives in its owner's
 * shard with everything a script touches with it, so every script here runs in one cluster slot,
 * and a batch of many users' occurrences costs one script call per shard.
 */
export class ReminderStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async create(
    openid: string,
    fields: Record<string, string>,
    nextFireAt: number,
    options: {
      pendingLimit: number;
      idempotencyKey?: string;
      idempotencyTtlSeconds: number;
      /** The script publishes the schedule change on this channel when it creates (one round trip). */
      eventsChannel?: string;
    },
  ): Promise<{ outcome: 'ok' | 'duplicate' | 'limit'; id: string; grantsLeft: number }> {
    const k = this.keys;
    // An empty field is not stored: a missing one reads as '' (reminderFromHash, the claim), and
    // the create's HSET is the bulk of its script.
    const pairs: string[] = [];
    for (const field in fields) {
      const value = fields[field];
      if (value !== undefined && value !== '' && field !== 'id') pairs.push(field, value);
    }
    const shard = k.userShard(openid);
    // The hash's key names the id, and a script touches only the keys it is given: the script is
    // sent for the id this process expects the shard's counter to give next, and says so when
    // another create (of another instance) took that one. One round trip while the guess holds.
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt += 1) {
      if (!this.nextSeq.has(shard)) {
        const current = Number((await this.redis.get(k.reminderShardSeq(shard))) ?? 0);
        if (!this.nextSeq.has(shard)) this.nextSeq.set(shard, current + 1); // unless learnt meanwhile
      }
      const seq = this.nextSeq.get(shard) ?? 1;
      this.nextSeq.set(shard, seq + 1); // a create started meanwhile expects the one after
      const newId = k.reminderId(shard, seq);
      const keys = [
        k.reminderShardSeq(shard),
        k.reminder(newId),
        k.userReminders(openid),
        k.userPending(openid),
        k.due(shard),
        k.quota(openid),
      ];
      if (options.idempotencyKey) keys.push(k.idempotency(openid, options.idempotencyKey));
      const [outcome, answer, grants] = await scripts.createReminder.run<[string, string, string?]>(
        this.redis,
        keys,
        [
          seq,
          options.pendingLimit,
          options.idempotencyTtlSeconds,
          nextFireAt,
          options.eventsChannel ?? '',
          newId,
          fields.templateId ?? '',
          'id',
          newId,
          ...pairs,
        ],
      );
      if (outcome === 'retry') {
        // Behind (another instance created): on from the counter. Ahead (a create expected before
        // this one stored nothing): back to it, unless a later guess already went further.
        const next = Number(answer) + 1;
        if ((this.nextSeq.get(shard) ?? 0) < next || seq > next) this.nextSeq.set(shard, next);
        continue;
      }
      // No id was taken: the next create may have it (one sent meanwhile finds its way back).
      if (outcome !== 'ok' && this.nextSeq.get(shard) === seq + 1) this.nextSeq.set(shard, seq);
      // The grants of the reminder's template the user has left (its ledger, read in the script).
      const grantsLeft = Math.max(0, Number(grants ?? 0) || 0);
      return { outcome: outcome as 'ok' | 'duplicate' | 'limit', id: answer, grantsLeft };
    }
    throw new Error(
      `create-reminder.lua: shard ${shard}'s counter moved on ${CREATE_ATTEMPTS} times in a row`,
    );
  }

  // Per shard, the seq this process expects the shard's counter to give next (learnt from it).
  private readonly nextSeq = new Map<number, number>();

  /**
   * Refuses to run with a DUE_SHARDS other than the one the data was written with (a reminder's
   * id names its shard: another count would look for every reminder in the wrong place), or on
   * data of the layout before shards that `npm run migrate-keys` has not moved. Called at start.
   */
  async checkShards(): Promise<void> {
    const k = this.keys;
    await this.redis.set(k.dueShardsMark(), String(k.dueShards), { NX: true });
    const written = Number(await this.redis.get(k.dueShardsMark()));
    if (written !== k.dueShards) {
      throw new Error(
        `DUE_SHARDS is ${k.dueShards}, but the reminders under ${k.prefix} are sharded ${written} ways: set DUE_SHARDS=${written}`,
      );
    }
    // The old layout's one `due` index: its reminders would never be swept.
    if ((await this.redis.exists(k.legacyDue())) === 1) {
      throw new Error(
        `${k.legacyDue()} holds reminders of the layout before shards: run npm run migrate-keys first`,
      );
    }
  }

  async get(id: string): Promise<Reminder | null> {
    return reminderFromHash(await this.redis.hGetAll(this.keys.reminder(id)));
  }

  /** The user's reminders, newest first (ids grow with creation), optionally of one status. */
  async listByUser(
    openid: string,
    options: { status?: ReminderStatus; cursor?: string; limit: number },
  ): Promise<{ items: Reminder[]; nextCursor: string | null }> {
    // The cursor is the last id examined, so a filtered page that hits the scan bound still moves on.
    const items: Reminder[] = [];
    let cursor = options.cursor ?? null;
    const batch = options.status ? Math.max(options.limit * 2, 50) : options.limit;
    for (let scanned = 0; scanned < MAX_SCANNED_PER_PAGE; scanned += batch) {
      const ids = await this.redis.zRange(
        this.keys.userReminders(openid),
        cursor ? `(${cursor}` : '+inf',
        '-inf',
        {
          BY: 'SCORE',
          REV: true,
          LIMIT: { offset: 0, count: batch },
        },
      );
      const reminders = await this.getMany(ids);
      for (const [i, reminder] of reminders.entries()) {
        cursor = ids[i] as string;
        if (!reminder || (options.status && reminder.status !== options.status)) continue;
        items.push(reminder);
        if (items.length === options.limit) return { items, nextCursor: cursor };
      }
      if (ids.length < batch) return { items, nextCursor: null };
    }
    return { items, nextCursor: cursor };
  }

  async getMany(ids: string[]): Promise<(Reminder | null)[]> {
    if (ids.length === 0) return [];
    // One command each, sent together (the client pipelines them): the ids may be of many shards.
    const hashes = await Promise.all(ids.map((id) => this.redis.hGetAll(this.keys.reminder(id))));
    return hashes.map((h) => reminderFromHash(h));
  }

  /** Whether `id` can be a reminder of `openid`: it is in their shard (else it is someone else's). */
  private inShardOf(openid: string, id: string): boolean {
    return /^\d+$/.test(id) && this.keys.reminderShard(id) === this.keys.userShard(openid);
  }

  /** Edits fields and optionally re-times the reminder; see update-reminder.lua. */
  async update(
    openid: string,
    id: string,
    fields: Record<string, string>,
    nextFireAt: number | null,
    pendingLimit: number,
  ): Promise<'ok' | 'missing' | 'cancelled' | 'limit'> {
    const k = this.keys;
    if (!this.inShardOf(openid, id)) return 'missing';
    return scripts.updateReminder.run(
      this.redis,
      [k.reminder(id), k.userPending(openid), k.due(k.reminderShard(id))],
      [openid, nextFireAt === null ? '' : nextFireAt, pendingLimit, id, ...Object.entries(fields).flat()],
    );
  }

  async cancel(openid: string, id: string, now: number): Promise<'ok' | 'missing'> {
    const k = this.keys;
    if (!this.inShardOf(openid, id)) return 'missing';
    return scripts.cancelReminder.run(
      this.redis,
      [k.reminder(id), k.userPending(openid), k.due(k.reminderShard(id))],
      [openid, id, now],
    );
  }

  /** The slot the reminder is due at in the `due` index, or null when it is not there. */
  async dueSlot(id: string): Promise<number | null> {
    const score = await this.redis.zScore(this.keys.due(this.keys.reminderShard(id)), id);
    return score === null ? null : score;
  }

  /**
   * Marks a pending reminder done (`nextSlot` null: a one-shot) or skips its due occurrence
   * (`nextSlot`: a recurring one moves there), if it is still due at `expectedSlot`; see
   * mark-reminder-done.lua.
   */
  async markDone(
    openid: string,
    id: string,
    change: { expectedSlot: number | null; nextSlot: number | null; now: number },
  ): Promise<'done' | 'skipped' | 'missing' | 'not_pending' | 'changed'> {
    const k = this.keys;
    if (!this.inShardOf(openid, id)) return 'missing';
    return markReminderDone.run(
      this.redis,
      [k.reminder(id), k.userPending(openid), k.due(k.reminderShard(id))],
      [openid, id, change.expectedSlot ?? '', change.nextSlot ?? '', change.now],
    );
  }

  /** Gives the reminder one extra occurrence at `slot`, if it is still due at `expectedSlot`; see snooze-reminder.lua. */
  async snooze(
    openid: string,
    id: string,
    change: { expectedSlot: number | null; slot: number; now: number; pendingLimit: number },
  ): Promise<'ok' | 'missing' | 'cancelled' | 'done' | 'changed' | 'limit'> {
    const k = this.keys;
    if (!this.inShardOf(openid, id)) return 'missing';
    return snoozeReminder.run(
      this.redis,
      [k.reminder(id), k.userPending(openid), k.due(k.reminderShard(id))],
      [openid, id, change.expectedSlot ?? '', change.slot, change.now, change.pendingLimit],
    );
  }

  async deliveries(id: string, count = DELIVERIES_KEPT): Promise<DeliveryAttempt[]> {
    const rows = await this.redis.lRange(this.keys.deliveries(id), 0, count - 1);
    return rows.map((row) => JSON.parse(row) as DeliveryAttempt);
  }

  async appendDelivery(id: string, attempt: DeliveryAttempt): Promise<void> {
    const key = this.keys.deliveries(id);
    await this.redis
      .multi()
      .lPush(key, JSON.stringify(attempt))
      .lTrim(key, 0, DELIVERIES_KEPT - 1)
      .exec();
  }

  /** Appends many attempts in one script call (append-deliveries.lua), each as `appendDelivery` would. */
  async appendDeliveries(attempts: { id: string; attempt: DeliveryAttempt }[]): Promise<void> {
    if (attempts.length === 0) return;
    await perShard(
      attempts,
      (a) => this.keys.reminderShard(a.id),
      async (_shard, group) => {
        await appendDeliveries.run(
          this.redis,
          group.map((a) => this.keys.deliveries(a.id)),
          [DELIVERIES_KEPT, ...group.map((a) => JSON.stringify(a.attempt))],
        );
        return [];
      },
    );
  }

  /**
   * Pending occurrences due up to `untilMs`, earliest first, of every shard: each shard's earliest
   * `limit`, merged, the earliest `limit` of them.
   */
  async dueSlice(untilMs: number, limit: number): Promise<{ id: string; fireAt: number }[]> {
    return this.dueBetween(null, untilMs, limit);
  }

  /**
   * The due index between `afterMs` (exclusive; null: from the start) and `untilMs` (inclusive),
   * earliest first, at most `limit` entries over every shard.
   */
  async dueBetween(
    afterMs: number | null,
    untilMs: number,
    limit: number,
  ): Promise<{ id: string; fireAt: number }[]> {
    const min = afterMs === null ? '-inf' : `(${afterMs}`;
    const perShardRows = await Promise.all(
      allShards(this.keys.dueShards).map((shard) =>
        this.redis.zRangeWithScores(this.keys.due(shard), min, untilMs, {
          BY: 'SCORE',
          LIMIT: { offset: 0, count: limit },
        }),
      ),
    );
    const rows = perShardRows.length === 1 ? (perShardRows[0] ?? []) : perShardRows.flat();
    if (perShardRows.length > 1) rows.sort((a, b) => a.score - b.score);
    return rows.slice(0, limit).map((r) => ({ id: r.value, fireAt: r.score }));
  }

  /** How many reminders are pending in the due index, every shard together. */
  async dueCount(): Promise<number> {
    const counts = await Promise.all(
      allShards(this.keys.dueShards).map((shard) => this.redis.zCard(this.keys.due(shard))),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** Claims one occurrence: a batch of one (claim-occurrences.lua). */
  async claim(id: string, slot: number, owner: string, leaseMs: number): Promise<ClaimResult> {
    const [result] = await this.claimMany([{ id, slot, owner }], leaseMs);
    if (!result) throw new Error('claim-occurrences.lua answered no row');
    return result;
  }

  /**
   * Claims many occurrences in one script call (claim-occurrences.lua);
   * results in the order asked.
   */
  /** The shard a reminder lives in (its id says it). */
  shardOf(id: string): number {
    return this.keys.reminderShard(id);
  }

  async claimMany(
    claims: { id: string; slot: number; owner: string }[],
    leaseMs: number,
  ): Promise<ClaimResult[]> {
    const k = this.keys;
    return perShard(
      claims,
      (c) => k.reminderShard(c.id),
      async (shard, group) => {
        const keys = [k.due(shard)];
        const args: (string | number)[] = [leaseMs, CLAIMED_FIELDS.length, ...CLAIMED_FIELDS];
        for (const c of group) {
          keys.push(k.reminder(c.id), k.claim(c.id, c.slot));
          args.push(c.id, c.slot, c.owner);
        }
        const rows = await claimOccurrences.run<[string, (string | null)[]?][]>(this.redis, keys, args);
        return rows.map((row) => claimResult(row));
      },
    );
  }

  async extendClaim(id: string, slot: number, owner: string, leaseMs: number): Promise<boolean> {
    return (
      (await scripts.extendClaim.run<number>(this.redis, [this.keys.claim(id, slot)], [owner, leaseMs])) === 1
    );
  }

  /**
   * Gives a claim back without an outcome (graceful stop, a 45009 pause) so another instance, or
   * this one later, takes the occurrence at once; only its owner can.
   */
  async releaseClaim(id: string, slot: number, owner: string): Promise<boolean> {
    return (
      (await scripts.compareAndDelete.run<number>(this.redis, [this.keys.claim(id, slot)], [owner])) === 1
    );
  }

  /** Records an occurrence's outcome if the claim is still ours: a batch of one (finish-occurrences.lua). */
  async finish(input: FinishInput): Promise<'ok' | 'lost' | 'retimed'> {
    const [result] = await this.finishMany([input]);
    if (!result) throw new Error('finish-occurrences.lua answered no row');
    return result;
  }

  // The UTC day last counted in and the ms range it covers: one Date→ISO a day, not one a send.
  private day = { name: '', from: 0, until: 0 };

  private statsDay(ms: number): string {
    if (ms < this.day.from || ms >= this.day.until) {
      const from = ms - (ms % 86_400_000);
      this.day = { name: utcDay(ms), from, until: from + 86_400_000 };
    }
    return this.day.name;
  }

  /**
   * Records many outcomes, each with its last attempt and its msgid link (in the user's shard: the
   * push report names the user), in one script call per shard (finish-occurrences.lua).
   */
  finishMany(inputs: FinishInput[]): Promise<('ok' | 'lost' | 'retimed')[]> {
    const k = this.keys;
    return perShard(
      inputs,
      (input) => k.reminderShard(input.id),
      (shard, group) => {
        const keys = [k.due(shard)];
        const args: (string | number)[] = [DELIVERIES_KEPT, MSGID_TTL_SECONDS];
        for (const input of group) {
          keys.push(
            k.reminder(input.id),
            k.claim(input.id, input.slot),
            k.userPending(input.openid),
            k.sendStats(shard, this.statsDay(input.now)),
            k.deliveries(input.id),
            k.msgid(input.openid, input.msgid ?? ''),
          );
          args.push(
            input.id,
            input.slot,
            input.owner,
            input.status,
            JSON.stringify(input.lastResult),
            input.nextSlot === null ? '' : input.nextSlot,
            input.now,
            JSON.stringify(input.attempt),
            input.msgid ?? '',
          );
        }
        return finishOccurrences.run<('ok' | 'lost' | 'retimed')[]>(this.redis, keys, args);
      },
    );
  }

  /**
   * The next `count` (at most) reminder ids for the retention pass. The shards take turns (a
   * counter shared by every instance; a shard without reminders passes its turn on), and in each a
   * cursor shared by every instance hands each caller its own range of the shard's ids (INCRBY),
   * walks up to the shard's newest id, then starts over from its first.
   */
  async retentionBatch(count: number): Promise<string[]> {
    const k = this.keys;
    const ids: string[] = [];
    for (let turn = 0; turn < k.dueShards && ids.length < count; turn += 1) {
      const shard = (await this.redis.incr(k.retentionShard())) % k.dueShards;
      const newest = Number((await this.redis.get(k.reminderShardSeq(shard))) ?? 0);
      if (newest === 0) continue;
      const want = count - ids.length;
      let last = await this.redis.incrBy(k.retentionCursor(shard), want);
      if (last - want >= newest) {
        // The shard's pass is over. Two instances starting the next one at once both read its
        // first range, which is harmless: the purge re-checks every reminder.
        await this.redis.set(k.retentionCursor(shard), String(want));
        last = want;
      }
      for (let seq = last - want + 1; seq <= Math.min(last, newest); seq += 1)
        ids.push(k.reminderId(shard, seq));
    }
    return ids;
  }

  /**
   * Purges those of `ids` whose status is one of `statuses` and that have not changed since
   * `cutoff` (ms), with their delivery records and index entries; see purge-reminder.lua. Returns
   * how many went.
   */
  async purgeFinished(ids: string[], cutoff: number, statuses: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const k = this.keys;
    const rows = await Promise.all(
      ids.map((id) => this.redis.hmGet(k.reminder(id), ['openid', 'status', 'updatedAt'])),
    );
    const purged = await Promise.all(
      ids.map((id, i) => {
        const [openid, status, updatedAt] = rows[i] ?? [];
        if (!openid || !status || !statuses.includes(status) || Number(updatedAt) > cutoff) return 0;
        if (!this.inShardOf(openid, id)) return 0; // not a record this layout wrote
        // The script re-checks all of it: the reminder may have changed since it was read.
        return purgeReminder.run<number>(
          this.redis,
          [
            k.reminder(id),
            k.deliveries(id),
            k.userReminders(openid),
            k.userPending(openid),
            k.due(k.reminderShard(id)),
          ],
          [id, openid, cutoff, ...statuses],
        );
      }),
    );
    return purged.reduce<number>((sum, n) => sum + n, 0);
  }
}

function claimResult(result: [string, (string | null)[]?]): ClaimResult {
  if (result[0] !== 'ok' || !result[1]) return { ok: false, reason: result[0] === 'busy' ? 'busy' : 'stale' };
  // In CLAIMED_FIELDS' order.
  const [id, openid, templateId, page, title, detail, timezone, repeat, data] = result[1];
  if (!id) return { ok: false, reason: 'stale' };
  return {
    ok: true,
    reminder: {
      id,
      openid: openid ?? '',
      templateId: templateId ?? '',
      page: page ?? '',
      title: title ?? '',
      detail: detail ?? '',
      timezone: timezone ?? '',
      repeat: repeat ? (JSON.parse(repeat) as Repeat) : null,
      data: data ? (JSON.parse(data) as Record<string, string>) : null,
    },
  };
}
