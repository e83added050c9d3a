import { HIDDEN_TITLE, signPagePath, type Checkin, type Sign, type SignStatus } from '../domain/checkin';
import type { Member } from '../domain/group';
import { checkinEnded } from '../errors';
import type { CheckinStore } from '../store/checkin-store';
import type { QuotaStore } from '../store/quota-store';
import { validateReminderTemplate, type TemplateCatalog } from '../wechat/templates';
import type { CheckinService } from './checkin-service';
import type { GroupService } from './group-service';
import { fitted } from './notice-push';
import type { NotificationInput, NotificationService } from './notification-service';

/** Reminds of one check-in within this span dedupe to one push per member (a "round"). */
export const REMIND_ROUND_MS = 10 * 60_000;

export interface Attendee {
  member: Member;
  sign: Sign | null; // null: absent
}

export interface TagCount {
  tag: string;
  total: number;
  onTime: number;
  late: number;
  absent: number;
}

/** `GET /api/checkins/:id/stats`: everyone of the group now, signed in or absent. */
export interface AttendanceSnapshot {
  checkin: Checkin;
  total: number;
  onTime: number;
  late: number;
  absent: number;
  attendees: Attendee[]; // in join order
  byTag: TagCount[]; // tags in order of first appearance
}

/** `POST /api/checkins/:id/remind`: what a remind did. */
export interface RemindOutcome {
  checkinId: string;
  absent: number; // members not signed in
  reminded: number; // pushes handed to the delivery pipeline by this remind
  alreadyReminded: number; // reminded in this round already (a repeated remind sends nothing twice)
  noGrant: number; // absent without a subscription grant for the template: not pushed (QUOTA_MODE=enforce)
  round: number;
}

export interface CheckinAttendanceDeps {
  checkins: Pick<CheckinService, 'access'>;
  store: Pick<CheckinStore, 'signs'>;
  groups: Pick<GroupService, 'members' | 'get'>;
  notifications: Pick<NotificationService, 'send'>;
  quota: Pick<QuotaStore, 'remaining'>;
  quotaMode: 'enforce' | 'ignore';
  catalog: TemplateCatalog;
  templateId: string; // the subscribe-message template of the reminder (WX_TEMPLATE_ID)
  timezone: string; // DEFAULT_TIMEZONE: how the start time is shown
  now: () => number;
}

/**
 * Who came (README.md#meeting-check-in): the stats of a check-in over the group's members now —
 * on time, late, absent with their names, by tag — and reminders to the absent who have a grant,
 * one per member per round, as notifications (src/services/notification-service.ts).
 */
export class CheckinAttendance {
  constructor(private readonly deps: CheckinAttendanceDeps) {}

  async stats(openid: string, id: string): Promise<AttendanceSnapshot> {
    const { checkin } = await this.deps.checkins.access(openid, id, 'manager');
    const [members, signs] = await Promise.all([
      this.deps.groups.members(checkin.groupId),
      this.deps.store.signs(id),
    ]);
    const attendees = members.map((member) => ({ member, sign: signs.get(member.openid) ?? null }));
    const count = (list: Attendee[], status: SignStatus | null) =>
      list.filter((a) => (a.sign?.status ?? null) === status).length;
    const tags = new Map<string, Attendee[]>();
    for (const a of attendees) {
      for (const tag of a.member.tags) {
        const list = tags.get(tag);
        if (list) list.push(a);
        else tags.set(tag, [a]);
      }
    }
    return {
      checkin,
      total: attendees.length,
      onTime: count(attendees, 'on_time'),
      late: count(attendees, 'late'),
      absent: count(attendees, null),
      attendees,
      byTag: [...tags].map(([tag, list]) => ({
        tag,
        total: list.length,
        onTime: count(list, 'on_time'),
        late: count(list, 'late'),
        absent: count(list, null),
      })),
    };
  }

  /** Pushes a reminder to the absent who have a grant (managers; 422 once the check-in has ended). */
  async remind(openid: string, id: string): Promise<RemindOutcome> {
    const { checkins, store, groups, quota, quotaMode, templateId, now: clock } = this.deps;
    const { checkin } = await checkins.access(openid, id, 'manager');
    const now = clock();
    if (now > checkin.endsAt) throw checkinEnded(new Date(checkin.endsAt).toISOString());
    const [members, signs, group] = await Promise.all([
      groups.members(checkin.groupId),
      store.signs(id),
      groups.get(checkin.groupId),
    ]);
    const absent = members.filter((m) => !signs.has(m.openid));
    const granted =
      quotaMode === 'ignore'
        ? absent
        : (
            await Promise.all(
              absent.map(async (m) => ((await quota.remaining(m.openid))[templateId] ?? 0) > 0 && m),
            )
          ).filter((m): m is Member => m !== false);
    const round = Math.floor(now / REMIND_ROUND_MS);
    const text = this.pushText(checkin, group?.name ?? '');
    const inputs: NotificationInput[] = granted.map((m) => ({
      openid: m.openid,
      templateId,
      page: signPagePath(id),
      ...text,
      timezone: this.deps.timezone,
      fireAt: checkin.startsAt,
      dedupe: `checkin:${id}:remind:${round}:${m.memberId}`,
      source: `checkin:${id}`,
    }));
    const results = inputs.length > 0 ? await this.deps.notifications.send(inputs) : [];
    const reminded = results.filter((r) => r.created).length;
    return {
      checkinId: id,
      absent: absent.length,
      reminded,
      alreadyReminded: results.length - reminded,
      noGrant: absent.length - granted.length,
      round,
    };
  }

  /**
   * The push's title (the check-in's, or HIDDEN_TITLE while it awaits review) and detail (the
   * group's name), shortened to fit their template fields.
   */
  private pushText(checkin: Checkin, groupName: string): { title: string; detail: string } {
    const { catalog, templateId, timezone } = this.deps;
    const fields = catalog.get(templateId)?.fields ?? [];
    const keyOf = (placeholder: string) => fields.find((f) => f.pattern === `{{${placeholder}}}`)?.key;
    const title = fitted(keyOf('title'), checkin.titleReview ? HIDDEN_TITLE : checkin.title) || HIDDEN_TITLE;
    const detail = fitted(keyOf('detail'), `${groupName} 请签到`.trim());
    const fits = (t: string, d: string) =>
      validateReminderTemplate(catalog, templateId, {
        title: t,
        detail: d,
        fireAt: checkin.startsAt,
        timezone,
      }).length === 0;
    if (fits(title, detail)) return { title, detail };
    return { title: HIDDEN_TITLE, detail: '请签到' }; // a template whose patterns wrap the values
  }
}
