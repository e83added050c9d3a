import {
  groupFromHash,
  groupToHash,
  memberFromJson,
  memberToJson,
  storedOf,
  type Group,
  type Member,
  type StoredMember,
} from '../domain/group';
import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const createGroup = new LuaScript('create-group');
const joinGroup = new LuaScript('join-group');
const updateGroup = new LuaScript('update-group');
const rotateGroupInvite = new LuaScript('rotate-group-invite');
const deleteGroup = new LuaScript('delete-group');
const replaceGroupMembers = new LuaScript('replace-group-members');
const removeGroupMember = new LuaScript('remove-group-member');
const addGroupWithinLimit = new LuaScript('add-group-within-limit');

const USER_INDEX_BATCH = 500; // user indexes cleaned per pipeline when a group goes

export type JoinOutcome = { outcome: 'joined' | 'member'; member: Member } | { outcome: 'full' | 'gone' };
export type ReplaceOutcome = 'ok' | 'changed' | 'gone';
export type RemoveOutcome = 'ok' | 'changed' | 'owner';

/** A change to one member: the member as read, and what it becomes. */
export interface MemberChange {
  before: Member;
  after: Member;
}

/**
 * Groups in Redis (README.md#redis-keys). Everything of one group — record, members, roster —
 * shares its hash tag `{g<id>}` and changes in one script each; the invite lookup
 * `groups:invite:<code>` and the users' indexes `user:{u<shard>}:<openid>:groups` / `…:owned-groups`
 * (the user's shard) live in other slots and are written beside the scripts, each step idempotent,
 * and the scripts never trust them (a join checks the code against the record), so a step lost to
 * a crash is harmless. No call spans two slots.
 */
export class GroupStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async nextId(): Promise<string> {
    return String(await this.redis.incr(this.keys.groupSeq()));
  }

  /** Points an invite code at a group unless the code is taken (codes are random: a rare clash). */
  async claimInvite(code: string, groupId: string): Promise<boolean> {
    return (await this.redis.set(this.keys.groupInvite(code), groupId, { condition: 'NX' })) === 'OK';
  }

  async inviteLookup(code: string): Promise<string | null> {
    return this.redis.get(this.keys.groupInvite(code));
  }

  async dropInvite(code: string): Promise<void> {
    if (code) await this.redis.del(this.keys.groupInvite(code));
  }

  /** Writes a new group and its owner (member 1); false when the id exists already. */
  async create(group: Omit<Group, 'memberCount'>, owner: Member): Promise<boolean> {
    const pairs = Object.entries(groupToHash(group)).flat();
    const k = this.keys;
    const written = await createGroup.run<number>(
      this.redis,
      [k.group(group.id), k.groupMembers(group.id), k.groupRoster(group.id)],
      [owner.openid, memberToJson(storedOf(owner)), ...pairs],
    );
    return written === 1;
  }

  async get(id: string): Promise<Group | null> {
    const [hash, count] = (await this.redis
      .multi()
      .hGetAll(this.keys.group(id))
      .zCard(this.keys.groupRoster(id))
      .execAsPipeline()) as unknown as [Record<string, string>, number];
    return groupFromHash(hash, Number(count));
  }

  async getMany(ids: readonly string[]): Promise<(Group | null)[]> {
    // One group per call (each its own slot); the client pipelines them on one Redis.
    return Promise.all(ids.map((id) => this.get(id)));
  }

  async update(id: string, fields: Record<string, string>): Promise<boolean> {
    const pairs = Object.entries(fields).flat();
    return (await updateGroup.run<number>(this.redis, [this.keys.group(id)], pairs)) === 1;
  }

  /** The old code once the group has `code`; null when there is no such group. */
  async rotateInvite(id: string, code: string, now: number): Promise<string | null> {
    const old = await rotateGroupInvite.run<string | null>(this.redis, [this.keys.group(id)], [code, now]);
    return old || null;
  }

  /** Deletes record, members and roster; the invite code and the openids it had, or null. */
  async delete(id: string): Promise<{ inviteCode: string; openids: string[] } | null> {
    const k = this.keys;
    const reply = await deleteGroup.run<string[]>(
      this.redis,
      [k.group(id), k.groupMembers(id), k.groupRoster(id)],
      [],
    );
    if (reply.length === 0) return null;
    const [inviteCode = '', ...openids] = reply;
    return { inviteCode, openids };
  }

  async membership(groupId: string, openid: string): Promise<Member | null> {
    return memberFromJson(groupId, openid, await this.redis.hGet(this.keys.groupMembers(groupId), openid));
  }

  /** The user's membership in each group (pipelined), in the order given. */
  async memberships(openid: string, groupIds: readonly string[]): Promise<(Member | null)[]> {
    const replies = await Promise.all(
      groupIds.map((id) => this.redis.hGet(this.keys.groupMembers(id), openid)),
    );
    return groupIds.map((id, i) => memberFromJson(id, openid, replies[i]));
  }

  /** Every member, in no particular order: one HGETALL (10,000 members ≈ 1.5 MB). */
  async allMembers(groupId: string): Promise<Member[]> {
    const hash = await this.redis.hGetAll(this.keys.groupMembers(groupId));
    const out: Member[] = [];
    for (const [openid, json] of Object.entries(hash)) {
      const member = memberFromJson(groupId, openid, json);
      if (member) out.push(member);
    }
    return out;
  }

  /** Members in join order after memberId `cursor`, at most `count` read. */
  async page(groupId: string, cursor: number, count: number): Promise<Member[]> {
    const entries = await this.redis.zRangeWithScores(this.keys.groupRoster(groupId), `(${cursor}`, '+inf', {
      BY: 'SCORE',
      LIMIT: { offset: 0, count },
    });
    return this.hydrate(
      groupId,
      entries.map((e) => e.value),
    );
  }

  /** Members by memberId (unknown ids left out), in the order given. */
  async byIds(groupId: string, memberIds: readonly string[]): Promise<Member[]> {
    if (memberIds.length === 0) return [];
    const roster = this.keys.groupRoster(groupId);
    const multi = this.redis.multi();
    for (const id of memberIds) multi.zRangeByScore(roster, id, id);
    const found = (await multi.execAsPipeline()) as unknown as string[][];
    const members = await this.hydrate(
      groupId,
      found.flatMap((openids) => openids.slice(0, 1)),
    );
    const wanted = new Set(memberIds);
    return members.filter((m) => wanted.has(m.memberId));
  }

  private async hydrate(groupId: string, openids: readonly string[]): Promise<Member[]> {
    if (openids.length === 0) return [];
    const jsons = await this.redis.hmGet(this.keys.groupMembers(groupId), [...openids]);
    return openids.flatMap((openid, i) => memberFromJson(groupId, openid, jsons[i]) ?? []);
  }

  /** Joins with the group's current invite code; O(1) whatever the group's size. */
  async join(
    groupId: string,
    code: string,
    openid: string,
    member: Omit<StoredMember, 'memberId'>,
    limit: number,
  ): Promise<JoinOutcome> {
    const k = this.keys;
    // The script puts memberId first: the stored JSON is then exactly memberToJson's, field for
    // field, which the compare-and-set scripts rely on (they compare it with memberToJson(read)).
    const { role, tags, displayName, studentNo, joinedAt } = member;
    const json = JSON.stringify({ role, tags, displayName, studentNo, joinedAt });
    const [outcome, stored] = await joinGroup.run<[string, string?]>(
      this.redis,
      [k.group(groupId), k.groupMembers(groupId), k.groupRoster(groupId)],
      [openid, code, json, limit],
    );
    if (outcome === 'joined' || outcome === 'member') {
      const joined = memberFromJson(groupId, openid, stored);
      if (joined) return { outcome, member: joined };
    }
    return { outcome: outcome === 'full' ? 'full' : 'gone' };
  }

  /** Compare-and-set of members (all or none), as read in `changes[i].before`. */
  async replace(groupId: string, changes: readonly MemberChange[], now: number): Promise<ReplaceOutcome> {
    const args = changes.flatMap((c) => [
      c.before.openid,
      memberToJson(storedOf(c.before)),
      memberToJson(storedOf(c.after)),
    ]);
    const k = this.keys;
    return replaceGroupMembers.run<ReplaceOutcome>(
      this.redis,
      [k.group(groupId), k.groupMembers(groupId)],
      [...args, now],
    );
  }

  async remove(member: Member): Promise<RemoveOutcome> {
    const k = this.keys;
    return removeGroupMember.run<RemoveOutcome>(
      this.redis,
      [k.groupMembers(member.groupId), k.groupRoster(member.groupId)],
      [member.openid, memberToJson(storedOf(member))],
    );
  }

  /** Adds the group to the user's index (`owned`: the owned one) unless it holds `limit` already. */
  async indexUser(openid: string, groupId: string, limit: number, owned = false): Promise<boolean> {
    const key = owned ? this.keys.userOwnedGroups(openid) : this.keys.userGroups(openid);
    return (await addGroupWithinLimit.run<number>(this.redis, [key], [groupId, limit])) === 1;
  }

  async unindexUser(openid: string, groupId: string, owned = false): Promise<void> {
    const key = owned ? this.keys.userOwnedGroups(openid) : this.keys.userGroups(openid);
    await this.redis.zRem(key, groupId);
  }

  /**
   * Drops a deleted group from its members' indexes: per user shard, one pipeline of its members'
   * two indexes (one hash tag, one slot), at most a batch of members at a time.
   */
  async unindexAll(openids: readonly string[], groupId: string): Promise<void> {
    const byShard = new Map<number, string[]>();
    for (const openid of openids) {
      const shard = this.keys.userShard(openid);
      const list = byShard.get(shard);
      if (list) list.push(openid);
      else byShard.set(shard, [openid]);
    }
    for (const members of byShard.values()) {
      for (let i = 0; i < members.length; i += USER_INDEX_BATCH) {
        const multi = this.redis.multi();
        for (const openid of members.slice(i, i + USER_INDEX_BATCH)) {
          multi.zRem(this.keys.userGroups(openid), groupId).zRem(this.keys.userOwnedGroups(openid), groupId);
        }
        await multi.execAsPipeline();
      }
    }
  }

  /** The user's group ids, newest first, below `cursor` (a group id), at most `limit`. */
  async groupIdsOf(openid: string, cursor: string | undefined, limit: number): Promise<string[]> {
    return this.redis.zRange(this.keys.userGroups(openid), cursor ? `(${cursor}` : '+inf', '-inf', {
      BY: 'SCORE',
      REV: true,
      LIMIT: { offset: 0, count: limit },
    });
  }

  /** Every group id in both of the user's indexes (export, erase; bounded by the per-user limits). */
  async allGroupIdsOf(openid: string): Promise<{ member: string[]; owned: string[] }> {
    const [member, owned] = await Promise.all([
      this.redis.zRange(this.keys.userGroups(openid), 0, -1),
      this.redis.zRange(this.keys.userOwnedGroups(openid), 0, -1),
    ]);
    return { member, owned };
  }

  async dropUserIndexes(openid: string): Promise<void> {
    // Both in the user's shard: one slot.
    await this.redis.del([this.keys.userGroups(openid), this.keys.userOwnedGroups(openid)]);
  }

  /** A cached QR image (base64 PNG), or null. */
  async cachedCode(page: string, scene: string): Promise<Buffer | null> {
    const value = await this.redis.get(this.keys.wxaCode(page, scene));
    return value ? Buffer.from(value, 'base64') : null;
  }

  async cacheCode(page: string, scene: string, image: Buffer, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.wxaCode(page, scene), image.toString('base64'), {
      expiration: { type: 'EX', value: ttlSeconds },
    });
  }

  async dropCode(page: string, scene: string): Promise<void> {
    await this.redis.del(this.keys.wxaCode(page, scene));
  }
}
