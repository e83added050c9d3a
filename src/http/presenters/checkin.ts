import {
  CODE_GRACE_MS,
  CODE_PERIOD_MS,
  HIDDEN_TITLE,
  SIGN_PAGE,
  checkinScene,
  type Checkin,
  type Fence,
  type Sign,
  type SignStatus,
} from '../../domain/checkin';
import type { GroupRole, Member } from '../../domain/group';
import type { AttendanceSnapshot, RemindOutcome } from '../../services/checkin-attendance';
import type { CheckinPage, CheckinSnapshot, CodeSnapshot } from '../../services/checkin-service';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A check-in as a member of its group sees it; no openid, never the code's secret. */
export interface CheckinView {
  id: string;
  groupId: string;
  title: string; // 会议签到 for members while WeChat's content check holds the title for review
  titleReview: boolean; // the title awaits review: members see the placeholder, managers the title
  startsAt: string;
  endsAt: string;
  lateAfter: string | null;
  location: Fence | null;
  state: 'upcoming' | 'open' | 'ended';
  scene: string; // the QR code's scene, `c=<id>`, which the sign page reads
  page: string; // the mini-program page the QR code opens
  me: {
    memberId: string;
    role: GroupRole;
    signed: boolean;
    status: SignStatus | null;
    signedAt: string | null;
  };
  counts: { onTime: number; late: number } | null; // managers only
  createdAt: string;
}

/** `GET /api/checkins/:id/code`. */
export interface CheckinCodeView {
  checkinId: string;
  code: string; // 6 digits
  rotatesAt: string; // when the next code replaces it…
  acceptedUntil: string; // …and until when this one is still accepted
  periodSeconds: number;
  graceSeconds: number;
  qrcode: { scene: string; page: string; image: string } | null; // image: a data: URL; null when WeChat did not make it
}

/** `POST /api/checkins/:id/sign`. */
export interface SignView {
  checkinId: string;
  status: SignStatus;
  signedAt: string;
  distanceM: number | null; // from the fence's centre, for a fenced check-in
}

export interface AttendeeView {
  memberId: string;
  displayName: string; // '' when the member set none
  studentNo: string;
  tags: string[];
  status: SignStatus | 'absent';
  signedAt: string | null;
  distanceM: number | null;
}

/** `GET /api/checkins/:id/stats`: the group's members now; onTime + late + absent = total. */
export interface CheckinStatsView {
  checkinId: string;
  title: string;
  total: number;
  onTime: number;
  late: number;
  absent: number;
  signed: AttendeeView[]; // in order of signing
  absentMembers: AttendeeView[]; // in join order
  byTag: { tag: string; total: number; onTime: number; late: number; absent: number }[];
}

export type RemindView = RemindOutcome;

function stateOf(c: Checkin, now: number): CheckinView['state'] {
  return now < c.startsAt ? 'upcoming' : now > c.endsAt ? 'ended' : 'open';
}

export function presentCheckin(s: CheckinSnapshot): CheckinView {
  const c = s.checkin;
  return {
    id: c.id,
    groupId: c.groupId,
    title: c.titleReview && !s.manager ? HIDDEN_TITLE : c.title,
    titleReview: c.titleReview,
    startsAt: new Date(c.startsAt).toISOString(),
    endsAt: new Date(c.endsAt).toISOString(),
    lateAfter: iso(c.lateAfter),
    location: c.location,
    state: stateOf(c, s.now),
    scene: checkinScene(c.id),
    page: SIGN_PAGE,
    me: {
      memberId: s.me.memberId,
      role: s.me.role,
      signed: s.sign !== null,
      status: s.sign?.status ?? null,
      signedAt: iso(s.sign?.at ?? null),
    },
    counts: s.manager ? { onTime: c.onTime, late: c.late } : null,
    createdAt: new Date(c.createdAt).toISOString(),
  };
}

/** `GET /api/groups/:id/checkins`: newest first; `nextCursor` null on the last page. */
export interface CheckinPageView {
  items: CheckinView[];
  nextCursor: string | null;
}

export function presentCheckinPage(page: CheckinPage): CheckinPageView {
  return { items: page.items.map(presentCheckin), nextCursor: page.nextCursor };
}

/** The image's type from its first bytes: WeChat answers PNG or JPEG. */
function imageType(image: Buffer): string {
  return image[0] === 0xff && image[1] === 0xd8 ? 'image/jpeg' : 'image/png';
}

export function presentCode(s: CodeSnapshot): CheckinCodeView {
  return {
    checkinId: s.checkin.id,
    code: s.code,
    rotatesAt: new Date(s.rotatesAt).toISOString(),
    acceptedUntil: new Date(s.acceptedUntil).toISOString(),
    periodSeconds: CODE_PERIOD_MS / 1000,
    graceSeconds: CODE_GRACE_MS / 1000,
    qrcode: s.qrcode
      ? {
          scene: s.qrcode.scene,
          page: s.qrcode.page,
          image: `data:${imageType(s.qrcode.image)};base64,${s.qrcode.image.toString('base64')}`,
        }
      : null,
  };
}

export function presentSign(r: { checkin: Checkin; sign: Sign }): SignView {
  return {
    checkinId: r.checkin.id,
    status: r.sign.status,
    signedAt: new Date(r.sign.at).toISOString(),
    distanceM: r.sign.distanceM,
  };
}

function attendee(member: Member, sign: Sign | null): AttendeeView {
  return {
    memberId: member.memberId,
    displayName: member.displayName,
    studentNo: member.studentNo,
    tags: member.tags,
    status: sign?.status ?? 'absent',
    signedAt: iso(sign?.at ?? null),
    distanceM: sign?.distanceM ?? null,
  };
}

export function presentStats(s: AttendanceSnapshot): CheckinStatsView {
  const signed = s.attendees.filter((a) => a.sign).sort((a, b) => (a.sign?.at ?? 0) - (b.sign?.at ?? 0));
  return {
    checkinId: s.checkin.id,
    title: s.checkin.title,
    total: s.total,
    onTime: s.onTime,
    late: s.late,
    absent: s.absent,
    signed: signed.map((a) => attendee(a.member, a.sign)),
    absentMembers: s.attendees.filter((a) => !a.sign).map((a) => attendee(a.member, null)),
    byTag: s.byTag,
  };
}

export function presentRemind(r: RemindOutcome): RemindView {
  return { ...r };
}
