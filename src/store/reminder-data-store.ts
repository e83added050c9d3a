import type { Keys } from './keys';
import type { Redis } from './redis';

/**
 * Reminders as a person's data (DELETE /api/me): every reminder id of a user, whether a send of
 * theirs is in flight, and the deletion of the records with every key that points at them. The
 * records themselves are read through ReminderStore (`getMany`, `deliveries`).
 */
export class ReminderDataStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Every reminder id of the user: their index and their pending set (personal data). */
  async idsOfUser(openid: string): Promise<string[]> {
    const [indexed, pending] = await Promise.all([
      this.redis.zRange(this.keys.userReminders(openid), 0, -1),
      this.redis.sMembers(this.keys.userPending(openid)),
    ]);
    return [...new Set([...indexed, ...pending])];
  }

  /** How many of these occurrences some instance holds a claim on right now. */
  async claimsHeld(occurrences: readonly { id: string; slot: number }[]): Promise<number> {
    if (occurrences.length === 0) return 0;
    // One EXISTS each: the occurrences may be of several shards (one multi-key command is one slot).
    const held = await Promise.all(occurrences.map((o) => this.redis.exists(this.keys.claim(o.id, o.slot))));
    return held.reduce((sum, n) => sum + n, 0);
  }

  /**
   * Deletes the user's reminders with everything that names them — hashes, delivery records, the
   * claims of `slots`, the `msgid:` links of `msgids`, the Idempotency-Key answers, their entries
   * in the due index and the user's indexes — in one MULTI in the user's shard (a user's reminders
   * all live there), then the `msgid:` links, single keys outside the shards (a link left by a crash
   * between the two points at a record that is gone: a push report on it finds nothing). The caller
   * has made sure no send of them is in flight (DELETE /api/me: src/services/reminder-personal-data.ts).
   */
  async eraseOfUser(
    openid: string,
    reminders: readonly {
      id: string;
      slots: readonly number[];
      msgids: readonly string[];
      idempotencyKey?: string;
    }[],
  ): Promise<void> {
    const k = this.keys;
    const shard = k.userShard(openid);
    const theirs = reminders.filter((r) => k.reminderShard(r.id) === shard);
    const multi = this.redis.multi();
    for (const r of theirs) {
      const keys = [k.reminder(r.id), k.deliveries(r.id)];
      for (const slot of r.slots) keys.push(k.claim(r.id, slot));
      if (r.idempotencyKey) keys.push(k.idempotency(openid, r.idempotencyKey));
      multi.del(keys);
    }
    const ids = theirs.map((r) => r.id);
    if (ids.length > 0) {
      multi.zRem(k.due(shard), ids);
      multi.zRem(k.userReminders(openid), ids);
      multi.sRem(k.userPending(openid), ids);
      await multi.exec();
    }
    await Promise.all(
      theirs.flatMap((r) =>
        r.msgids.flatMap((msgid) => [
          this.redis.del(k.msgid(openid, msgid)),
          this.redis.del(k.legacyMsgid(msgid)),
        ]),
      ),
    );
  }

  /** Takes ids out of the user's own indexes only (ids without a record of theirs). */
  async unindexOfUser(openid: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const k = this.keys;
    await this.redis
      .multi()
      .zRem(k.userReminders(openid), [...ids])
      .sRem(k.userPending(openid), [...ids])
      .exec();
  }
}
