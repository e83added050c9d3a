import { noticeFromHash, noticeToHash, type Notice, type NoticeJob } from '../domain/notice';
import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const createNotice = new LuaScript('create-notice');
const claimNoticeJob = new LuaScript('claim-notice-job');
const advanceNoticeJob = new LuaScript('advance-notice-job');
const finishNoticeJob = new LuaScript('finish-notice-job');
const releaseNoticeJob = new LuaScript('release-notice-job');
const updateNotice = new LuaScript('update-notice');
const deleteNotice = new LuaScript('delete-notice');
const takeNoticeRemind = new LuaScript('take-notice-remind');

export type JobClaim =
  | { ok: true; job: NoticeJob; cursor: number; recipients: number | null; publishedAt: number }
  | { ok: false; reason: 'early' | 'busy' | 'none' | 'gone'; at?: number };

export type JobStep = 'ok' | 'lost' | 'changed';
export type DeleteOutcome = 'cancelled' | 'retracted' | 'already' | 'gone';

/**
 * Notices (README.md#redis-keys): the `notice:{nt<id>}` hash with its job (claim-notice-job.lua
 * and its siblings), the `notices:due` index of jobs, the author's index, the create's
 * Idempotency-Key. Every script touches the keys of one notice, which share its hash tag; what
 * publication records about recipients is NoticeRecipientStore's (./notice-recipient-store.ts).
 */
export class NoticeStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async nextId(): Promise<string> {
    return String(await this.redis.incr(this.keys.noticeSeq()));
  }

  /** Takes the create's Idempotency-Key for `id`; null when taken by us now, else the id it already holds. */
  async claimIdempotency(
    openid: string,
    key: string,
    id: string,
    ttlSeconds: number,
  ): Promise<string | null> {
    const k = this.keys.noticeIdempotency(openid, key);
    const set = await this.redis.set(k, id, {
      condition: 'NX',
      expiration: { type: 'EX', value: ttlSeconds },
    });
    return set === 'OK' ? null : ((await this.redis.get(k)) ?? id);
  }

  /** Writes a new notice (false: one with its id exists) and indexes it for its author and its job. */
  async create(notice: Notice): Promise<boolean> {
    const pairs = Object.entries(noticeToHash(notice)).flat();
    const written = (await createNotice.run<number>(this.redis, [this.keys.notice(notice.id)], pairs)) === 1;
    await Promise.all([
      this.redis.zAdd(this.keys.userNotices(notice.author), { score: Number(notice.id), value: notice.id }),
      this.schedule(notice.id, notice.publishAt),
    ]);
    return written;
  }

  async get(id: string): Promise<Notice | null> {
    return noticeFromHash(await this.redis.hGetAll(this.keys.notice(id)));
  }

  async getMany(ids: readonly string[]): Promise<(Notice | null)[]> {
    const hashes = await Promise.all(ids.map((id) => this.redis.hGetAll(this.keys.notice(id))));
    return hashes.map((h) => noticeFromHash(h));
  }

  /** Edits a scheduled notice: 'ok', or the status that refused it ('' for none). */
  async update(id: string, fields: Record<string, string>): Promise<string> {
    return updateNotice.run<string>(this.redis, [this.keys.notice(id)], Object.entries(fields).flat());
  }

  /** Cancels a scheduled notice or retracts a published (or publishing) one (delete-notice.lua). */
  async delete(id: string, now: number): Promise<DeleteOutcome> {
    const result = await deleteNotice.run<string>(this.redis, [this.keys.notice(id)], [now]);
    if (result === 'cancelled') {
      await this.unschedule(id);
      return 'cancelled';
    }
    if (result === 'retracted') {
      await this.schedule(id, now);
      return 'retracted';
    }
    return result === '' ? 'gone' : 'already';
  }

  // ---- jobs ----------------------------------------------------------------------------------

  /** Puts the notice's job in the due index at `at`. */
  async schedule(id: string, at: number): Promise<void> {
    await this.redis.zAdd(this.keys.noticesDue(), { score: at, value: id });
  }

  async unschedule(id: string): Promise<void> {
    await this.redis.zRem(this.keys.noticesDue(), id);
  }

  /** Notices whose job is due (or whose job's lease ran out) by `now`, earliest first. */
  async dueJobs(now: number, limit: number): Promise<string[]> {
    return this.redis.zRange(this.keys.noticesDue(), '-inf', now, {
      BY: 'SCORE',
      LIMIT: { offset: 0, count: limit },
    });
  }

  async claimJob(id: string, owner: string, now: number, leaseMs: number): Promise<JobClaim> {
    const [state, ...rest] = await claimNoticeJob.run<string[]>(
      this.redis,
      [this.keys.notice(id)],
      [owner, now, leaseMs],
    );
    if (state === 'ok') {
      const [job, cursor, recipients, publishedAt] = rest;
      return {
        ok: true,
        job: job as NoticeJob,
        cursor: Number(cursor ?? 0),
        recipients: recipients ? Number(recipients) : null,
        publishedAt: Number(publishedAt ?? now),
      };
    }
    const reason = state === 'early' || state === 'busy' || state === 'none' ? state : 'gone';
    return { ok: false, reason, ...(rest[0] ? { at: Number(rest[0]) } : {}) };
  }

  async advanceJob(
    id: string,
    step: {
      owner: string;
      job: NoticeJob;
      cursor: number;
      inboxed: number;
      now: number;
      leaseMs: number;
      recipients?: number;
    },
  ): Promise<JobStep> {
    const { owner, job, cursor, inboxed, now, leaseMs, recipients } = step;
    return advanceNoticeJob.run<JobStep>(
      this.redis,
      [this.keys.notice(id)],
      [owner, job, cursor, inboxed, now, leaseMs, recipients ?? ''],
    );
  }

  async finishJob(id: string, owner: string, job: NoticeJob, now: number): Promise<JobStep> {
    return finishNoticeJob.run<JobStep>(this.redis, [this.keys.notice(id)], [owner, job, now]);
  }

  async releaseJob(id: string, owner: string): Promise<boolean> {
    return (await releaseNoticeJob.run<number>(this.redis, [this.keys.notice(id)], [owner])) === 1;
  }

  /**
   * Takes the notice's remind slot for `windowMs` (take-notice-remind.lua): the remind's number
   * (1, 2…), or how long until the next may go.
   */
  async takeRemind(
    id: string,
    now: number,
    windowMs: number,
  ): Promise<{ remind: number } | { waitMs: number }> {
    const [waitMs, remind] = await takeNoticeRemind.run<[number, number]>(
      this.redis,
      [this.keys.notice(id)],
      [now, windowMs],
    );
    return waitMs > 0 ? { waitMs } : { remind };
  }

  /** A notice's hash as stored (a person's export). */
  async raw(id: string): Promise<Record<string, string>> {
    return this.redis.hGetAll(this.keys.notice(id));
  }

  /** Deletes a notice, its job's index entry, its author's index entry and its Idempotency-Key answer. */
  async purge(notice: Pick<Notice, 'id' | 'author' | 'idempotencyKey'>): Promise<void> {
    const k = this.keys;
    await Promise.all([
      this.redis.del(k.notice(notice.id)),
      this.redis.zRem(k.noticesDue(), notice.id),
      this.redis.zRem(k.userNotices(notice.author), notice.id),
      notice.idempotencyKey
        ? this.redis.del(k.noticeIdempotency(notice.author, notice.idempotencyKey))
        : null,
    ]);
  }

  /**
   * The next `count` notice ids for the retention pass, from a cursor every instance shares (so
   * that several instances split a pass); after the newest id the pass starts again from 1.
   */
  async retentionBatch(count: number): Promise<string[]> {
    const k = this.keys;
    const newest = Number((await this.redis.get(k.noticeSeq())) ?? 0);
    if (newest === 0) return [];
    let last = await this.redis.incrBy(k.noticeRetentionCursor(), count);
    if (last - count >= newest) {
      // The pass is over. Two instances starting the next one at once both read its first range:
      // harmless, the purge re-checks every notice.
      await this.redis.set(k.noticeRetentionCursor(), String(count));
      last = count;
    }
    const ids: string[] = [];
    for (let id = last - count + 1; id <= Math.min(last, newest); id += 1) ids.push(String(id));
    return ids;
  }

  /** Drops the author's index (erase, once every notice in it is purged). */
  async dropAuthorIndex(openid: string): Promise<void> {
    await this.redis.del(this.keys.userNotices(openid));
  }

  /** The notices `openid` wrote, newest first (export, erase). */
  async authoredBy(openid: string): Promise<string[]> {
    return this.redis.zRange(this.keys.userNotices(openid), '+inf', '-inf', { BY: 'SCORE', REV: true });
  }
}
