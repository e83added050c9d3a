import {
  checkinFromHash,
  checkinToHash,
  signFromJson,
  signToJson,
  type Checkin,
  type Sign,
} from '../domain/checkin';
import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const signCheckin = new LuaScript('sign-checkin');
const recordWrongCode = new LuaScript('record-checkin-wrong-code');
const eraseCheckinSign = new LuaScript('erase-checkin-sign');

export type SignOutcome =
  | { outcome: 'signed'; onTime: number; late: number }
  | { outcome: 'twice'; sign: Sign | null }
  | { outcome: 'limited'; retryAt: number }
  | { outcome: 'gone' };

export type WrongCodeOutcome =
  | { outcome: 'counted'; wrong: number; retryAt: number }
  | { outcome: 'limited'; retryAt: number }
  | { outcome: 'twice'; sign: Sign | null }
  | { outcome: 'gone' };

/** The brute-force brake's terms: `limit` wrong codes within `windowMs` (by the callers' clock). */
export interface WrongCodeRule {
  now: number;
  windowMs: number;
  limit: number;
}

type Reply = [string, ...(string | number)[]];

/**
 * Check-ins in Redis (README.md#redis-keys). Everything of one check-in — the record with its
 * counts, the sign-ins, each member's wrong codes — shares its hash tag `{c<id>}` and changes in
 * one script per step; it all expires `RETENTION_DAYS` after the check-in ends. The users' index
 * `user:<openid>:checkins` lives in other slots and is written beside the scripts (for a person's
 * export and erasure; nothing trusts it).
 */
export class CheckinStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async nextId(): Promise<string> {
    return String(await this.redis.incr(this.keys.checkinSeq()));
  }

  /** Writes a new check-in (its id fresh from INCR) that expires at `expireAt` (ms). */
  async create(checkin: Checkin, expireAt: number): Promise<void> {
    const key = this.keys.checkin(checkin.id);
    await this.redis.multi().hSet(key, checkinToHash(checkin)).pExpireAt(key, expireAt).exec();
  }

  async get(id: string): Promise<Checkin | null> {
    return checkinFromHash(await this.redis.hGetAll(this.keys.checkin(id)));
  }

  async getMany(ids: readonly string[]): Promise<(Checkin | null)[]> {
    // One command per check-in (each its own slot); the client pipelines them on one Redis.
    const hashes = await Promise.all(ids.map((id) => this.redis.hGetAll(this.keys.checkin(id))));
    return hashes.map((hash) => checkinFromHash(hash ?? {}));
  }

  /** Signs `openid` in once (sign-checkin.lua); the signs expire with the check-in. */
  async sign(
    checkin: Checkin,
    openid: string,
    sign: Sign,
    rule: WrongCodeRule,
    expireAt: number,
  ): Promise<SignOutcome> {
    // The user's index (their shard's slot) before the sign-in it lists: a crash between the two
    // never leaves a sign-in that erasing the user would not find.
    await this.indexUser(openid, checkin.id, rule.now, expireAt);
    const reply = await signCheckin.run<Reply>(this.redis, this.scriptKeys(checkin.id, openid), [
      openid,
      signToJson(sign),
      sign.status === 'late' ? 'late' : 'onTime',
      rule.now,
      rule.windowMs,
      rule.limit,
      expireAt,
    ]);
    switch (reply[0]) {
      case 'signed':
        return { outcome: 'signed', onTime: Number(reply[1]), late: Number(reply[2]) };
      case 'twice':
        return { outcome: 'twice', sign: signFromJson(String(reply[1])) };
      case 'limited':
        return { outcome: 'limited', retryAt: Number(reply[1]) };
      default:
        return { outcome: 'gone' };
    }
  }

  /** Counts one wrong code of `openid` (record-checkin-wrong-code.lua). */
  async wrongCode(
    checkinId: string,
    openid: string,
    rule: WrongCodeRule,
    attempt: string,
  ): Promise<WrongCodeOutcome> {
    const reply = await recordWrongCode.run<Reply>(this.redis, this.scriptKeys(checkinId, openid), [
      openid,
      rule.now,
      rule.windowMs,
      rule.limit,
      attempt,
    ]);
    switch (reply[0]) {
      case 'counted':
        return { outcome: 'counted', wrong: Number(reply[1]), retryAt: Number(reply[2]) };
      case 'limited':
        return { outcome: 'limited', retryAt: Number(reply[1]) };
      case 'twice':
        return { outcome: 'twice', sign: signFromJson(String(reply[1])) };
      default:
        return { outcome: 'gone' };
    }
  }

  /** Every sign-in of a check-in, by openid. */
  async signs(checkinId: string): Promise<Map<string, Sign>> {
    const hash = await this.redis.hGetAll(this.keys.checkinSigns(checkinId));
    const out = new Map<string, Sign>();
    for (const [openid, json] of Object.entries(hash)) {
      const sign = signFromJson(json);
      if (sign) out.set(openid, sign);
    }
    return out;
  }

  async signOf(checkinId: string, openid: string): Promise<Sign | null> {
    return signFromJson(await this.redis.hGet(this.keys.checkinSigns(checkinId), openid));
  }

  /** The wrong codes `openid` typed for a check-in, times in ms (export). */
  async wrongCodesOf(checkinId: string, openid: string): Promise<number[]> {
    const scored = await this.redis.zRangeWithScores(this.keys.checkinWrongCodes(checkinId, openid), 0, -1);
    return scored.map((entry) => entry.score);
  }

  /** Notes that `openid` signed in to (or tried) a check-in; the index lives as long as the check-in. */
  async indexUser(openid: string, checkinId: string, at: number, expireAt: number): Promise<void> {
    const key = this.keys.userCheckins(openid);
    await this.redis
      .multi()
      .zAdd(key, { score: at, value: checkinId })
      .pExpireAt(key, expireAt, 'GT')
      .pExpireAt(key, expireAt, 'NX')
      .exec();
  }

  /** The check-ins in a user's index with when they last tried each (ms), most recent first. */
  async userCheckins(openid: string): Promise<{ id: string; at: number }[]> {
    const scored = await this.redis.zRangeWithScores(this.keys.userCheckins(openid), 0, -1, { REV: true });
    return scored.map((entry) => ({ id: entry.value, at: entry.score }));
  }

  /** Takes `openid` out of one check-in (erase-checkin-sign.lua); true when a sign-in went. */
  async eraseSign(checkinId: string, openid: string): Promise<boolean> {
    return (
      (await eraseCheckinSign.run<number>(this.redis, this.scriptKeys(checkinId, openid), [openid])) === 1
    );
  }

  async dropUserIndex(openid: string): Promise<void> {
    await this.redis.del(this.keys.userCheckins(openid));
  }

  /** A cached `wxa/getwxacodeunlimit` image for one page and scene, or null. */
  async cachedCode(page: string, scene: string): Promise<Buffer | null> {
    const base64 = await this.redis.get(this.keys.wxaCode(page, scene));
    return base64 ? Buffer.from(base64, 'base64') : null;
  }

  async cacheCode(page: string, scene: string, image: Buffer, expireAt: number): Promise<void> {
    await this.redis.set(this.keys.wxaCode(page, scene), image.toString('base64'), {
      expiration: { type: 'PXAT', value: expireAt },
    });
  }

  /**
   * Lists a check-in in its group's index (`group:{g<id>}:checkins`, another slot than the
   * check-in's: written beside its create). The index lives as long as the group's last check-in.
   */
  async indexGroup(groupId: string, checkinId: string, expireAt: number): Promise<void> {
    const key = this.keys.groupCheckins(groupId);
    await this.redis
      .multi()
      .zAdd(key, { score: Number(checkinId), value: checkinId })
      .pExpireAt(key, expireAt, 'GT')
      .pExpireAt(key, expireAt, 'NX')
      .exec();
  }

  /** A group's check-in ids, newest first, after `cursor` (an id of the previous page). */
  async groupCheckinIds(groupId: string, cursor: string | undefined, limit: number): Promise<string[]> {
    return this.redis.zRange(this.keys.groupCheckins(groupId), cursor ? `(${cursor}` : '+inf', '-inf', {
      BY: 'SCORE',
      REV: true,
      LIMIT: { offset: 0, count: limit },
    });
  }

  /** Drops ids whose check-in expired from a group's index. */
  async unindexGroup(groupId: string, checkinIds: readonly string[]): Promise<void> {
    if (checkinIds.length > 0) await this.redis.zRem(this.keys.groupCheckins(groupId), [...checkinIds]);
  }

  /** `openid`'s sign-in to each check-in, in the order asked (null: not signed in). */
  async signsOf(checkinIds: readonly string[], openid: string): Promise<(Sign | null)[]> {
    // One command per check-in (each its own slot); the client pipelines them on one Redis.
    const replies = await Promise.all(
      checkinIds.map((id) => this.redis.hGet(this.keys.checkinSigns(id), openid)),
    );
    return replies.map((json) => signFromJson(json ?? null));
  }

  private scriptKeys(checkinId: string, openid: string): string[] {
    const k = this.keys;
    return [k.checkin(checkinId), k.checkinSigns(checkinId), k.checkinWrongCodes(checkinId, openid)];
  }
}
