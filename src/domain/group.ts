/**
 * Groups and their members (README.md#http-api): a class, a club, a student union. A group has one owner,
 * managers and members; each member has a per-group profile (display name, student number) and
 * tags (班干部…). Stored under the group's hash tag `{g<id>}` (README.md#redis-keys): the record
 * `group:{g<id>}` (hash), the members `group:{g<id>}:members` (hash openid → member JSON) and the
 * roster `group:{g<id>}:roster` (zset openid, score = memberId). Pure types and rules here.
 */
import { randomBytes } from 'node:crypto';

export type GroupRole = 'owner' | 'manager' | 'member';
export const GROUP_ROLES: readonly GroupRole[] = ['owner', 'manager', 'member'];

export const GROUP_LIMITS = {
  ownedPerUser: 100, // groups one person owns
  membershipsPerUser: 500, // groups one person belongs to (owned ones included)
  membersPerGroup: 10_000,
  tagsPerMember: 20,
  tagLength: 20, // characters of one tag
  nameLength: 40,
  descriptionLength: 500,
  displayNameLength: 20,
  studentNoLength: 32,
} as const;

/** The page a group's QR code and shared invite open; it reads the invite code from `scene`/`code`. */
export const JOIN_PAGE = 'pages/group/join';

export interface Group {
  id: string;
  name: string;
  description: string;
  inviteCode: string;
  memberCount: number;
  createdAt: number; // ms
  updatedAt: number; // ms
}

export interface Member {
  groupId: string;
  memberId: string; // short integer, unique within the group
  openid: string;
  role: GroupRole;
  tags: string[];
  displayName: string; // '' until the member sets one
  studentNo: string; // '' when none
  joinedAt: number; // ms
}

/** A member as stored in `group:{g<id>}:members`: the JSON of everything but the hash's field and key. */
export type StoredMember = Omit<Member, 'groupId' | 'openid'>;

// RFC 4648 base32: 5 random bytes are exactly 8 characters, letters and 2–7 only (no 0/1/8/9 to
// misread), so a code is easy to type and 40 bits hard to guess.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const INVITE_CODE = /^[A-Z2-7]{8}$/;

/** A fresh invite code: 8 characters of base32 over 40 random bits. */
export function newInviteCode(): string {
  const bytes = randomBytes(5);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** An invite code as typed (any case, spaces or dashes between groups) in its stored form, or null. */
export function cleanInviteCode(typed: string): string | null {
  const code = typed.replace(/[\s-]/g, '').toUpperCase();
  return INVITE_CODE.test(code) ? code : null;
}

/** The `scene` of a group's QR code: the invite code itself (≤ 32 characters of 0-9A-Z). */
export function inviteScene(code: string): string {
  return code;
}

/** The path a shared invite card opens. */
export function invitePath(code: string): string {
  return `${JOIN_PAGE}?code=${code}`;
}

export function isManagerRole(role: GroupRole | undefined): boolean {
  return role === 'owner' || role === 'manager';
}

export function groupFromHash(hash: Record<string, string>, memberCount: number): Group | null {
  if (!hash.id) return null;
  return {
    id: hash.id,
    name: hash.name ?? '',
    description: hash.description ?? '',
    inviteCode: hash.inviteCode ?? '',
    memberCount,
    createdAt: Number(hash.createdAt ?? 0),
    updatedAt: Number(hash.updatedAt ?? 0),
  };
}

export function groupToHash(group: Omit<Group, 'memberCount'>): Record<string, string> {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    inviteCode: group.inviteCode,
    createdAt: String(group.createdAt),
    updatedAt: String(group.updatedAt),
  };
}

/** The stored JSON of a member (memberId first: join-group.lua writes it there itself). */
export function memberToJson(member: StoredMember): string {
  const { memberId, role, tags, displayName, studentNo, joinedAt } = member;
  return JSON.stringify({ memberId, role, tags, displayName, studentNo, joinedAt });
}

/** A member from its stored JSON; null for anything that is not one (never throws). */
export function memberFromJson(
  groupId: string,
  openid: string,
  json: string | null | undefined,
): Member | null {
  if (!json) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Partial<Record<keyof StoredMember, unknown>>;
  const role = GROUP_ROLES.find((r) => r === m.role);
  if (!role || (typeof m.memberId !== 'string' && typeof m.memberId !== 'number')) return null;
  return {
    groupId,
    memberId: String(m.memberId),
    openid,
    role,
    tags: Array.isArray(m.tags) ? m.tags.filter((t): t is string => typeof t === 'string') : [],
    displayName: typeof m.displayName === 'string' ? m.displayName : '',
    studentNo: typeof m.studentNo === 'string' ? m.studentNo : '',
    joinedAt: Number(m.joinedAt ?? 0),
  };
}

/** The part of a member that is stored as JSON. */
export function storedOf(member: Member): StoredMember {
  const { groupId: _groupId, openid: _openid, ...stored } = member;
  return stored;
}
