import { recipientFromJson, recipientToJson, type Recipient } from '../domain/notice';
import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const markNoticeRead = new LuaScript('mark-notice-read');
const WRITE_BATCH = 1000; // recipient fields per HSET / ZADD while an audience is written

export interface Receipt {
  readAt: number | null;
  confirmedAt: number | null;
}

/**
 * What publication records about a notice's recipients (README.md#redis-keys), beside the notice
 * under its hash tag: the audience as resolved once (`notice:{nt<id>}:recipients`, with each
 * recipient's latest push), their order (`:order`), and read and confirm receipts (`:read`,
 * `:confirmed`, score = when).
 */
export class NoticeRecipientStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Writes the resolved audience (after dropping what an unfinished resolution left). */
  async writeRecipients(id: string, recipients: readonly Recipient[]): Promise<void> {
    const k = this.keys;
    await this.redis.del([k.noticeRecipients(id), k.noticeOrder(id)]);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < recipients.length; i += WRITE_BATCH) {
      const batch = recipients.slice(i, i + WRITE_BATCH);
      writes.push(
        this.redis.hSet(
          k.noticeRecipients(id),
          Object.fromEntries(batch.map((r) => [r.openid, recipientToJson(r)])),
        ),
        this.redis.zAdd(
          k.noticeOrder(id),
          batch.map((r) => ({ score: r.index, value: r.openid })),
        ),
      );
    }
    await Promise.all(writes);
  }

  /** Rewrites some recipients' records (their pushes). */
  async saveRecipients(id: string, recipients: readonly Recipient[]): Promise<void> {
    if (recipients.length === 0) return;
    await this.redis.hSet(
      this.keys.noticeRecipients(id),
      Object.fromEntries(recipients.map((r) => [r.openid, recipientToJson(r)])),
    );
  }

  /** Recipients with index in [from, from + count), in index order. */
  async recipientRange(id: string, from: number, count: number): Promise<Recipient[]> {
    const openids = await this.redis.zRange(this.keys.noticeOrder(id), from, from + count - 1, {
      BY: 'SCORE',
    });
    return this.recipientsOf(id, openids);
  }

  async recipient(id: string, openid: string): Promise<Recipient | null> {
    return recipientFromJson(openid, await this.redis.hGet(this.keys.noticeRecipients(id), openid));
  }

  async recipientsOf(id: string, openids: readonly string[]): Promise<Recipient[]> {
    if (openids.length === 0) return [];
    const rows = await this.redis.hmGet(this.keys.noticeRecipients(id), [...openids]);
    return openids.flatMap((openid, i) => recipientFromJson(openid, rows[i]) ?? []);
  }

  /** Every recipient, in index order (stats: bounded by the group limits, 10,000 × groups). */
  async allRecipients(id: string): Promise<Recipient[]> {
    const hash = await this.redis.hGetAll(this.keys.noticeRecipients(id));
    return Object.entries(hash)
      .flatMap(([openid, json]) => recipientFromJson(openid, json) ?? [])
      .sort((a, b) => a.index - b.index);
  }

  /** Read and confirm times of some recipients, in the order asked. */
  async receipts(id: string, openids: readonly string[]): Promise<Receipt[]> {
    if (openids.length === 0) return [];
    const [reads, confirms] = await Promise.all([
      this.redis.zmScore(this.keys.noticeReads(id), [...openids]),
      this.redis.zmScore(this.keys.noticeConfirms(id), [...openids]),
    ]);
    return openids.map((_, i) => ({ readAt: reads[i] ?? null, confirmedAt: confirms[i] ?? null }));
  }

  /** Records a read (and a confirm): null when `openid` is no recipient, else what changed. */
  async markRead(
    id: string,
    openid: string,
    now: number,
    confirm: boolean,
  ): Promise<{ read: boolean; confirmed: boolean } | null> {
    const k = this.keys;
    const [read, confirmed] = await markNoticeRead.run<[number, number]>(
      this.redis,
      [k.noticeRecipients(id), k.noticeReads(id), k.noticeConfirms(id)],
      [openid, now, confirm ? '1' : '0'],
    );
    return read === -1 ? null : { read: read === 1, confirmed: confirmed === 1 };
  }

  /** Deletes a notice's recipients and receipts (its retraction is done, or the notice is erased). */
  async drop(id: string): Promise<void> {
    const k = this.keys;
    await this.redis.del([
      k.noticeRecipients(id),
      k.noticeOrder(id),
      k.noticeReads(id),
      k.noticeConfirms(id),
    ]);
  }

  /** Takes one person out of a notice's recipients and receipts (their erasure). */
  async forget(id: string, openid: string): Promise<void> {
    const k = this.keys;
    await this.redis
      .multi()
      .hDel(k.noticeRecipients(id), openid)
      .zRem(k.noticeOrder(id), openid)
      .zRem(k.noticeReads(id), openid)
      .zRem(k.noticeConfirms(id), openid)
      .exec();
  }

  /** Every recipient's openid, in index order (retention: bounded by the group limits). */
  async openids(id: string): Promise<string[]> {
    return this.redis.zRange(this.keys.noticeOrder(id), 0, -1);
  }

  /** Takes these people out of a notice's recipients and receipts (one MULTI, one hash tag); returns how many recipients are left. */
  async forgetMany(id: string, openids: readonly string[]): Promise<number> {
    const k = this.keys;
    if (openids.length === 0) return this.redis.zCard(k.noticeOrder(id));
    const people = [...openids];
    const replies = await this.redis
      .multi()
      .hDel(k.noticeRecipients(id), people)
      .zRem(k.noticeOrder(id), people)
      .zRem(k.noticeReads(id), people)
      .zRem(k.noticeConfirms(id), people)
      .zCard(k.noticeOrder(id))
      .exec();
    return Number(replies[4]);
  }

  /** One person's stored record and receipts of a notice, as stored (their export). */
  async storedFor(
    id: string,
    openid: string,
  ): Promise<{
    record: string | null;
    index: number | null;
    readAt: number | null;
    confirmedAt: number | null;
  }> {
    const k = this.keys;
    const [record, index, readAt, confirmedAt] = await Promise.all([
      this.redis.hGet(k.noticeRecipients(id), openid),
      this.redis.zScore(k.noticeOrder(id), openid),
      this.redis.zScore(k.noticeReads(id), openid),
      this.redis.zScore(k.noticeConfirms(id), openid),
    ]);
    return { record: record ?? null, index, readAt, confirmedAt };
  }
}
