import type { NoticeAudience, Recipient } from '../domain/notice';
import type { Member } from './group-service';
import type { NoticeGroups } from './notice-rules';

/**
 * Resolves an audience into its recipients, once, at publication (docs/architecture.md#notices-to-groups): for each group, every
 * member — or, when tags or members are named, the members with one of the tags and the members
 * named — in group order and then join order; the union, deduplicated by person (someone in two
 * groups is one recipient, who belongs to both). The author is not a recipient of their own notice.
 */
export async function resolveAudience(
  groups: Pick<NoticeGroups, 'members' | 'membersById'>,
  audience: NoticeAudience,
  author: string,
): Promise<Recipient[]> {
  const everyone = audience.tags.length === 0 && audience.members.length === 0;
  const byPerson = new Map<string, Recipient>();
  for (const groupId of audience.groups) {
    const named = audience.members
      .filter((m) => m.startsWith(`${groupId}:`))
      .map((m) => m.slice(groupId.length + 1));
    let chosen: Member[];
    if (everyone) {
      chosen = await groups.members(groupId);
    } else {
      const [tagged, listed] = await Promise.all([
        audience.tags.length > 0 ? groups.members(groupId, { tags: audience.tags }) : [],
        named.length > 0 ? groups.membersById(groupId, named) : [],
      ]);
      const seen = new Set(tagged.map((m) => m.openid));
      chosen = [...tagged, ...listed.filter((m) => !seen.has(m.openid))];
    }
    for (const member of chosen) {
      if (member.openid === author) continue;
      const known = byPerson.get(member.openid);
      if (known) {
        if (!known.groups.includes(groupId)) known.groups.push(groupId);
        continue;
      }
      byPerson.set(member.openid, {
        openid: member.openid,
        index: byPerson.size,
        memberId: member.memberId, // in groups[0]
        groups: [groupId],
        displayName: member.displayName,
        studentNo: member.studentNo,
        notificationId: null,
        muted: false,
      });
    }
  }
  return [...byPerson.values()];
}
