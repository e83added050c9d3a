import { invitePath, isManagerRole, type GroupRole, type Member } from '../../domain/group';
import type { MemberPage } from '../../services/group-roster';
import type { GroupPage, GroupWithMe } from '../../services/group-service';

/** A member as managers see them (and as each member sees themself); never an openid. */
export interface MemberView {
  memberId: string;
  role: GroupRole;
  tags: string[];
  displayName: string; // '' until the member sets one (PUT /api/groups/{id}/me)
  studentNo: string;
  joinedAt: string;
}

/**
 * A group as one of its members sees it: `me` is the caller's membership; the invite (code and
 * the path a shared card opens) only for managers, null for members.
 */
export interface GroupView {
  id: string;
  name: string;
  description: string;
  memberCount: number;
  me: MemberView;
  invite: { code: string; path: string } | null;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/groups`: newest first; `nextCursor` null on the last page. */
export interface GroupPageView {
  items: GroupView[];
  nextCursor: string | null;
}

/** `GET /api/groups/{id}/members`: join order; `nextCursor` null once the roster is read to its end. */
export interface MemberPageView {
  items: MemberView[];
  nextCursor: string | null;
}

/** `DELETE /api/groups/{id}`. */
export interface GroupDeletedView {
  id: string;
  deleted: true;
}

export function presentDeletedGroup(id: string): GroupDeletedView {
  return { id, deleted: true };
}

export function presentMember(m: Member): MemberView {
  return {
    memberId: m.memberId,
    role: m.role,
    tags: m.tags,
    displayName: m.displayName,
    studentNo: m.studentNo,
    joinedAt: new Date(m.joinedAt).toISOString(),
  };
}

export function presentGroup({ group, me }: GroupWithMe): GroupView {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    memberCount: group.memberCount,
    me: presentMember(me),
    invite: isManagerRole(me.role) ? { code: group.inviteCode, path: invitePath(group.inviteCode) } : null,
    createdAt: new Date(group.createdAt).toISOString(),
    updatedAt: new Date(group.updatedAt).toISOString(),
  };
}

export function presentGroupPage(page: GroupPage): GroupPageView {
  return { items: page.items.map(presentGroup), nextCursor: page.nextCursor };
}

export function presentMemberPage(page: MemberPage): MemberPageView {
  return { items: page.items.map(presentMember), nextCursor: page.nextCursor };
}

/** An image's content type from its first bytes: WeChat may answer PNG or JPEG. */
export function imageType(image: Buffer): 'image/png' | 'image/jpeg' {
  return image[0] === 0xff && image[1] === 0xd8 ? 'image/jpeg' : 'image/png';
}
