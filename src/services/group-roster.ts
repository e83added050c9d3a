import { GROUP_LIMITS, isManagerRole, type GroupRole, type Member } from '../domain/group';
import {
  groupManagersOnly,
  groupMemberChanged,
  groupMemberNotFound,
  groupNotFound,
  groupOwnedLimit,
  groupOwnerMustTransfer,
  groupOwnerOnly,
} from '../errors';
import type { GroupStore, MemberChange } from '../store/group-store';
import type { GroupService } from './group-service';

// A filtered listing reads at most this many members per request, so a rare tag in a large group
// answers a short page with a cursor instead of reading the whole group.
const SCAN_BOUND = 2_000;
const SCAN_BATCH = 250;

export interface ProfileInput {
  displayName: string;
  studentNo?: string;
}

export interface MemberChanges {
  role?: GroupRole;
  tags?: string[];
}

export interface MemberPage {
  items: Member[];
  nextCursor: string | null; // the last memberId read; null when the roster is read to its end
}

/**
 * A group's members (README.md#http-api): each member's profile in the group, the managers' roster with
 * tags, roles (the owner's to give; `owner` itself only by transfer), removal and leaving. Every
 * change is a compare-and-set on the member as read (src/store/lua/replace-group-members.lua), so
 * a decision taken on someone's role never lands on a member changed meanwhile (409 instead).
 */
export class GroupRoster {
  constructor(
    private readonly deps: {
      groups: Pick<GroupService, 'access'>;
      store: GroupStore;
      now: () => number;
    },
  ) {}

  /** The caller's own profile in the group. */
  async setProfile(openid: string, groupId: string, input: ProfileInput): Promise<Member> {
    const me = await this.deps.groups.access(groupId, openid, 'member');
    const after = { ...me, displayName: input.displayName, studentNo: input.studentNo ?? '' };
    await this.apply(groupId, [{ before: me, after }]);
    return after;
  }

  /** Members in join order (managers), optionally only those tagged `tag`. */
  async list(
    openid: string,
    groupId: string,
    query: { tag?: string; cursor?: string; limit: number },
  ): Promise<MemberPage> {
    await this.deps.groups.access(groupId, openid, 'manager');
    const { store } = this.deps;
    const items: Member[] = [];
    let cursor = Number(query.cursor ?? 0);
    let scanned = 0;
    for (;;) {
      const want = query.tag === undefined ? query.limit - items.length : SCAN_BATCH;
      const batch = await store.page(groupId, cursor, want);
      scanned += batch.length;
      for (const m of batch) {
        cursor = Number(m.memberId);
        if (query.tag === undefined || m.tags.includes(query.tag)) items.push(m);
        if (items.length === query.limit) return { items, nextCursor: String(cursor) };
      }
      if (batch.length < want) return { items, nextCursor: null }; // the end of the roster
      if (scanned >= SCAN_BOUND) return { items, nextCursor: String(cursor) };
    }
  }

  /**
   * Tags (managers) and roles (the owner): `manager`/`member` for anyone but the owner; `owner`
   * hands the group over, and the old owner becomes a manager.
   */
  async change(openid: string, groupId: string, memberId: string, changes: MemberChanges): Promise<Member> {
    const { groups, store } = this.deps;
    const me = await groups.access(groupId, openid, 'manager');
    const target = await this.member(groupId, memberId);
    const role = changes.role ?? target.role;
    const after: Member = { ...target, role, tags: changes.tags ?? target.tags };
    if (role === target.role) {
      await this.apply(groupId, [{ before: target, after }]);
      return after;
    }
    if (me.role !== 'owner') throw groupOwnerOnly('change roles');
    if (target.role === 'owner') throw groupOwnerMustTransfer(); // the owner demoting themself
    if (role !== 'owner') {
      await this.apply(groupId, [{ before: target, after }]);
      return after;
    }
    // A transfer: both members change in one step; the new owner's owned groups count it.
    if (!(await store.indexUser(target.openid, groupId, GROUP_LIMITS.ownedPerUser, true))) {
      throw groupOwnedLimit(GROUP_LIMITS.ownedPerUser);
    }
    try {
      await this.apply(groupId, [
        { before: me, after: { ...me, role: 'manager' } },
        { before: target, after },
      ]);
    } catch (err) {
      await store.unindexUser(target.openid, groupId, true);
      throw err;
    }
    await store.unindexUser(openid, groupId, true);
    return after;
  }

  /** Removes a member (managers; a manager only by the owner), or the caller leaves. */
  async remove(openid: string, groupId: string, memberId: string): Promise<Member> {
    const me = await this.deps.groups.access(groupId, openid, 'member');
    const target = me.memberId === memberId ? me : await this.member(groupId, memberId);
    if (target.openid !== openid && !isManagerRole(me.role)) throw groupManagersOnly();
    if (target.role === 'owner') throw groupOwnerMustTransfer(); // leaving, or removed: neither
    if (target.role === 'manager' && target.openid !== openid && me.role !== 'owner') {
      throw groupOwnerOnly('remove a manager');
    }
    await this.leave(target);
    return target;
  }

  /** Takes a member out of the group and of their group index, whoever decided it. */
  async leave(member: Member): Promise<void> {
    const outcome = await this.deps.store.remove(member);
    if (outcome === 'owner') throw groupOwnerMustTransfer();
    if (outcome === 'changed') throw groupMemberChanged();
    await this.deps.store.unindexUser(member.openid, member.groupId);
  }

  /** Hands the group from its owner to `heir` (erasure of the owner): the owner's membership goes. */
  async handOver(owner: Member, heir: Member): Promise<void> {
    const { store } = this.deps;
    await store.indexUser(heir.openid, owner.groupId, Number.MAX_SAFE_INTEGER, true);
    await this.apply(owner.groupId, [
      { before: owner, after: { ...owner, role: 'manager' } },
      { before: heir, after: { ...heir, role: 'owner' } },
    ]);
    await this.leave({ ...owner, role: 'manager' });
    await store.unindexUser(owner.openid, owner.groupId, true);
  }

  private async member(groupId: string, memberId: string): Promise<Member> {
    const [found] = await this.deps.store.byIds(groupId, [memberId]);
    if (!found) throw groupMemberNotFound();
    return found;
  }

  private async apply(groupId: string, changes: MemberChange[]): Promise<void> {
    const outcome = await this.deps.store.replace(groupId, changes, this.deps.now());
    if (outcome === 'gone') throw groupNotFound();
    if (outcome === 'changed') throw groupMemberChanged();
  }
}
