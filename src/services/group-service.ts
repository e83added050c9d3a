import {
  GROUP_LIMITS,
  isManagerRole,
  newInviteCode,
  cleanInviteCode,
  type Group,
  type GroupRole,
  type Member,
} from '../domain/group';
import {
  groupFull,
  groupInviteNotFound,
  groupManagersOnly,
  groupMembershipLimit,
  groupNotFound,
  groupOwnedLimit,
  groupOwnerOnly,
} from '../errors';
import type { GroupStore } from '../store/group-store';

export type { GroupRole, Member } from '../domain/group';

const INVITE_ATTEMPTS = 5; // fresh codes tried when one is taken (40 random bits: practically never)
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** A group as one of its members sees it: the group, and their own membership. */
export interface GroupWithMe {
  group: Group;
  me: Member;
}

export interface GroupInput {
  name: string;
  description?: string;
}

export interface GroupPage {
  items: GroupWithMe[];
  nextCursor: string | null;
}

/** Who may do something in a group: any member, its managers (owner included), its owner. */
export type GroupLevel = 'member' | 'manager' | 'owner';

export interface GroupServiceDeps {
  store: GroupStore;
  now: () => number;
  /** Called once a group is gone (its QR images can go too). */
  onDeleted?: (group: { id: string; inviteCode: string }) => Promise<void>;
  /** Called once an invite code is replaced (its QR image can go). */
  onRotated?: (oldCode: string) => Promise<void>;
}

/**
 * Groups (README.md#http-api): create, read, edit, delete, the invite code and joining with it, and the
 * membership questions every group feature asks (`membership`, `members`, `isManager`: the
 * contract notices build on). Member administration is src/services/group-roster.ts, the QR code
 * src/services/group-qrcode.ts. A non-member is told the group does not exist (404), a member
 * who is not a manager that they may not (403).
 */
export class GroupService {
  constructor(private readonly deps: GroupServiceDeps) {}

  /** The caller's membership in the group, or null (non-member, or no such group). */
  membership(groupId: string, openid: string): Promise<Member | null> {
    return this.deps.store.membership(groupId, openid);
  }

  /** The group (name, description, member count…), or null. */
  get(groupId: string): Promise<Group | null> {
    return this.deps.store.get(groupId);
  }

  /** Every member of the group in join order, optionally only those with one of `tags`. */
  async members(groupId: string, filter: { tags?: string[] } = {}): Promise<Member[]> {
    const all = await this.deps.store.allMembers(groupId);
    const tags = filter.tags && filter.tags.length > 0 ? new Set(filter.tags) : null;
    const chosen = tags ? all.filter((m) => m.tags.some((t) => tags.has(t))) : all;
    return chosen.sort((a, b) => Number(a.memberId) - Number(b.memberId));
  }

  /** Members by memberId within the group (unknown ids are left out). */
  membersById(groupId: string, memberIds: string[]): Promise<Member[]> {
    return this.deps.store.byIds(groupId, [...new Set(memberIds)]);
  }

  /** Owner or manager. */
  isManager(member: Member | null): boolean {
    return isManagerRole(member?.role);
  }

  /**
   * The caller's membership when it allows `level`: 404 for a non-member (or no such group), 403
   * for a member below the level.
   */
  async access(groupId: string, openid: string, level: GroupLevel, what = 'do this'): Promise<Member> {
    const me = await this.membership(groupId, openid);
    if (!me) throw groupNotFound();
    if (level === 'manager' && !isManagerRole(me.role)) throw groupManagersOnly();
    if (level === 'owner' && me.role !== 'owner') throw groupOwnerOnly(what);
    return me;
  }

  async create(openid: string, input: GroupInput): Promise<GroupWithMe> {
    const { store, now } = this.deps;
    const at = now();
    const id = await store.nextId();
    if (!(await store.indexUser(openid, id, GROUP_LIMITS.ownedPerUser, true))) {
      throw groupOwnedLimit(GROUP_LIMITS.ownedPerUser);
    }
    if (!(await store.indexUser(openid, id, GROUP_LIMITS.membershipsPerUser))) {
      await store.unindexUser(openid, id, true);
      throw groupMembershipLimit(GROUP_LIMITS.membershipsPerUser);
    }
    const inviteCode = await this.claimCode(id);
    const group = {
      id,
      name: input.name,
      description: input.description ?? '',
      inviteCode,
      createdAt: at,
      updatedAt: at,
    };
    const owner: Member = {
      groupId: id,
      memberId: '1',
      openid,
      role: 'owner',
      tags: [],
      displayName: '',
      studentNo: '',
      joinedAt: at,
    };
    // The id is fresh from INCR: nobody else writes it. Indexed again after: a listing that ran
    // in between saw an index entry without its group and dropped it as stale.
    await store.create(group, owner);
    await Promise.all([store.indexUser(openid, id, NO_LIMIT, true), store.indexUser(openid, id, NO_LIMIT)]);
    return { group: { ...group, memberCount: 1 }, me: owner };
  }

  /** The caller's groups, newest first. */
  async mine(openid: string, page: { cursor?: string; limit: number }): Promise<GroupPage> {
    const { store } = this.deps;
    const ids = await store.groupIdsOf(openid, page.cursor, page.limit);
    const [groups, memberships] = await Promise.all([store.getMany(ids), store.memberships(openid, ids)]);
    const items: GroupWithMe[] = [];
    for (const [i, id] of ids.entries()) {
      const group = groups[i];
      const me = memberships[i];
      if (group && me) items.push({ group, me });
      // An index entry left by a step that did not finish (a leave, a deletion): healed here.
      else await store.unindexAll([openid], id);
    }
    const last = ids[ids.length - 1];
    return { items, nextCursor: ids.length === page.limit && last ? last : null };
  }

  async view(openid: string, groupId: string): Promise<GroupWithMe> {
    const me = await this.access(groupId, openid, 'member');
    return { group: await this.existing(groupId), me };
  }

  async update(openid: string, groupId: string, changes: Partial<GroupInput>): Promise<GroupWithMe> {
    const me = await this.access(groupId, openid, 'manager');
    const fields: Record<string, string> = { updatedAt: String(this.deps.now()) };
    if (changes.name !== undefined) fields.name = changes.name;
    if (changes.description !== undefined) fields.description = changes.description;
    if (!(await this.deps.store.update(groupId, fields))) throw groupNotFound();
    return { group: await this.existing(groupId), me };
  }

  /** Deletes the group, its memberships and its invite code (the owner only). */
  async delete(openid: string, groupId: string): Promise<void> {
    await this.access(groupId, openid, 'owner', 'delete the group');
    await this.remove(groupId);
  }

  /** Deletes a group whoever asks (the owner above; their erasure when nobody can take it over). */
  async remove(groupId: string): Promise<boolean> {
    const { store } = this.deps;
    const gone = await store.delete(groupId);
    if (!gone) return false;
    await store.dropInvite(gone.inviteCode);
    await store.unindexAll(gone.openids, groupId);
    await this.deps.onDeleted?.({ id: groupId, inviteCode: gone.inviteCode });
    return true;
  }

  /** A new invite code; the old one stops working at once (managers). */
  async rotateInvite(openid: string, groupId: string): Promise<GroupWithMe> {
    const me = await this.access(groupId, openid, 'manager');
    const { store, now } = this.deps;
    const code = await this.claimCode(groupId);
    const old = await store.rotateInvite(groupId, code, now());
    if (old === null) {
      await store.dropInvite(code);
      throw groupNotFound();
    }
    await store.dropInvite(old);
    await this.deps.onRotated?.(old);
    return { group: await this.existing(groupId), me };
  }

  /**
   * Joins the group of an invite code as a member; a member joining again gets their membership
   * as it is (`created: false`). O(1) in the group's size.
   */
  async join(openid: string, typed: string): Promise<GroupWithMe & { created: boolean }> {
    const { store, now } = this.deps;
    const code = cleanInviteCode(typed);
    const groupId = code ? await store.inviteLookup(code) : null;
    if (!code || !groupId) throw groupInviteNotFound();
    const known = await store.membership(groupId, openid);
    if (known) {
      await store.indexUser(openid, groupId, NO_LIMIT); // heals an index entry a crash left out
      return { group: await this.existing(groupId), me: known, created: false };
    }
    if (!(await store.indexUser(openid, groupId, GROUP_LIMITS.membershipsPerUser))) {
      throw groupMembershipLimit(GROUP_LIMITS.membershipsPerUser);
    }
    const profile = {
      role: 'member' as GroupRole,
      tags: [],
      displayName: '',
      studentNo: '',
      joinedAt: now(),
    };
    const joined = await store.join(groupId, code, openid, profile, GROUP_LIMITS.membersPerGroup);
    if (!('member' in joined)) {
      await store.unindexUser(openid, groupId);
      if (joined.outcome === 'full') throw groupFull(GROUP_LIMITS.membersPerGroup);
      throw groupInviteNotFound(); // rotated or deleted since the lookup
    }
    // Again after the join, as after a create: a listing in between may have dropped the entry.
    await store.indexUser(openid, groupId, NO_LIMIT);
    const group = await this.existing(groupId);
    return { group, me: joined.member, created: joined.outcome === 'joined' };
  }

  private async existing(groupId: string): Promise<Group> {
    const group = await this.deps.store.get(groupId);
    if (!group) throw groupNotFound();
    return group;
  }

  /** A fresh invite code pointed at the group. */
  private async claimCode(groupId: string): Promise<string> {
    for (let i = 0; i < INVITE_ATTEMPTS; i++) {
      const code = newInviteCode();
      if (await this.deps.store.claimInvite(code, groupId)) return code;
    }
    throw new Error(`no free invite code in ${INVITE_ATTEMPTS} tries`);
  }
}
