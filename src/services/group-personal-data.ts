import type { Member } from '../domain/group';
import { AppError, CATALOGUE } from '../errors';
import type { GroupStore } from '../store/group-store';
import type { GroupRoster } from './group-roster';
import type { GroupService } from './group-service';
import { isoTime, type KeyFamily, type PersonalData } from './personal-data';

/** One membership in a person's data export: the group, their role and their profile in it. */
export interface MembershipExport {
  groupId: string;
  groupName: string;
  memberId: string;
  role: Member['role'];
  tags: string[];
  displayName: string;
  studentNo: string;
  joinedAt: string | null;
}

export interface GroupsExport {
  memberships: MembershipExport[];
  owned: string[]; // ids of the groups they own
}

const ERASE_ATTEMPTS = 5;
const CHANGED = CATALOGUE.GROUP_MEMBER_CHANGED.errcode;

const FAMILIES: readonly KeyFamily[] = [
  { pattern: 'user:{u<shard>}:<openid>:groups', about: 'zset: the groups the user belongs to' },
  { pattern: 'user:{u<shard>}:<openid>:owned-groups', about: 'zset: the groups the user owns' },
  {
    pattern: 'group:<tag>:members',
    about: 'hash of a group: openid → the member (role, tags, display name, student number)',
    shared: true,
  },
  { pattern: 'group:<tag>:roster', about: 'zset of a group: its members’ openids by memberId', shared: true },
];

/**
 * Groups as personal data: the user's memberships with their per-group profile. Erasure takes
 * them out of every group; a group they own goes to its longest-standing manager, or, with no
 * manager, is deleted with everyone's memberships (as its owner's DELETE would).
 */
export class GroupPersonalData implements PersonalData {
  readonly name = 'groups';
  readonly families = FAMILIES;

  constructor(
    private readonly deps: {
      store: Pick<GroupStore, 'allGroupIdsOf' | 'memberships' | 'getMany' | 'dropUserIndexes'>;
      groups: Pick<GroupService, 'members' | 'remove'>;
      roster: Pick<GroupRoster, 'leave' | 'handOver'>;
    },
  ) {}

  async export(openid: string): Promise<GroupsExport> {
    const { store } = this.deps;
    const { member, owned } = await store.allGroupIdsOf(openid);
    const ids = [...new Set([...member, ...owned])];
    const [memberships, groups] = await Promise.all([store.memberships(openid, ids), store.getMany(ids)]);
    const out: MembershipExport[] = [];
    ids.forEach((groupId, i) => {
      const m = memberships[i];
      if (!m) return;
      out.push({
        groupId,
        groupName: groups[i]?.name ?? '',
        memberId: m.memberId,
        role: m.role,
        tags: m.tags,
        displayName: m.displayName,
        studentNo: m.studentNo,
        joinedAt: isoTime(m.joinedAt),
      });
    });
    return { memberships: out, owned };
  }

  async erase(openid: string): Promise<number> {
    const { store } = this.deps;
    const { member, owned } = await store.allGroupIdsOf(openid);
    const ids = [...new Set([...member, ...owned])];
    let erased = 0;
    for (const groupId of ids) {
      // A member changed by someone else meanwhile (409 from the compare-and-set): read again.
      for (let attempt = 1; ; attempt++) {
        const [m] = await store.memberships(openid, [groupId]);
        if (!m) break;
        try {
          await this.eraseMembership(m);
          erased += 1;
          break;
        } catch (err) {
          if (attempt >= ERASE_ATTEMPTS || !(err instanceof AppError && err.errcode === CHANGED)) throw err;
        }
      }
    }
    await store.dropUserIndexes(openid);
    return erased;
  }

  private async eraseMembership(m: Member): Promise<void> {
    const { groups, roster } = this.deps;
    if (m.role !== 'owner') return roster.leave(m);
    const heir = (await groups.members(m.groupId)).find((other) => other.role === 'manager');
    if (heir) await roster.handOver(m, heir);
    else await groups.remove(m.groupId);
  }
}
