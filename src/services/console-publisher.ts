import type { Attendee, CheckinAttendance } from './checkin-attendance';
import type { Notice, NoticeAudience, RecipientState } from '../domain/notice';
import type { NoticeStore } from '../store/notice-store';
import { csv } from './console-csv';
import type { GroupService } from './group-service';
import { resolveAudience } from './notice-audience';
import type { NoticeStatsService } from './notice-stats';

export const NOTICES_LISTED = 50; // the newest notices of their author the console lists
export const CSV_MAX_ROWS = 20_000; // a notice's recipients exported at most
const PAGE = 200;

/** The audience picker's question: who would get a notice addressed so. */
export interface AudienceQuery {
  groups: string[];
  tags?: string[];
  members?: string[]; // `<groupId>:<memberId>`, or a bare memberId with one group
}

export interface ConsolePublisherDeps {
  groups: Pick<GroupService, 'access' | 'members' | 'membersById' | 'get'>;
  notices: Pick<NoticeStore, 'authoredBy' | 'getMany'>;
  stats: Pick<NoticeStatsService, 'recipients' | 'stats'>;
  attendance: Pick<CheckinAttendance, 'stats'>;
  timezone: string; // DEFAULT_TIMEZONE: how CSV times read
}

const STATE_NAMES: Record<RecipientState, string> = {
  pending: '待推送',
  muted: '已免打扰',
  sent: '已推送',
  delivered: '已送达',
  failed: '推送失败',
  no_quota: '无订阅额度',
  rate_limited: '超出每日上限',
  read: '已读',
  confirmed: '已确认',
};

/**
 * What the console adds for publishers over the mini-program's API: the notices they
 * wrote, the live recipient count of an audience being composed (the same resolution publication
 * makes, so the count is what they will get), and CSV exports of a notice's recipients and a
 * check-in's attendance. Each checks the caller's rights through the feature's own service.
 */
export class ConsolePublisher {
  constructor(private readonly deps: ConsolePublisherDeps) {}

  /** The caller's notices, newest first (at most NOTICES_LISTED). */
  async myNotices(openid: string): Promise<Notice[]> {
    const ids = (await this.deps.notices.authoredBy(openid)).slice(0, NOTICES_LISTED);
    const notices = await this.deps.notices.getMany(ids);
    return notices.filter((n): n is Notice => n !== null);
  }

  /** How many people an audience reaches now: 404/403 unless the caller manages every group. */
  async audienceCount(openid: string, query: AudienceQuery): Promise<{ recipients: number }> {
    const { groups } = this.deps;
    for (const groupId of query.groups) await groups.access(groupId, openid, 'manager');
    const only = query.groups.length === 1 ? query.groups[0] : undefined;
    const audience: NoticeAudience = {
      groups: query.groups,
      tags: query.tags ?? [],
      members: (query.members ?? []).map((m) => (m.includes(':') || !only ? m : `${only}:${m}`)),
    };
    const recipients = await resolveAudience(groups, audience, openid);
    return { recipients: recipients.length };
  }

  /** A notice's recipients as CSV (managers of its groups). */
  async noticeCsv(openid: string, id: string): Promise<{ filename: string; body: string }> {
    const { notice } = await this.deps.stats.stats(openid, id);
    const rows: (string | number | null)[][] = [];
    let cursor: number | undefined;
    do {
      const page = await this.deps.stats.recipients(openid, id, { cursor, limit: PAGE });
      for (const row of page.items) {
        const r = row.recipient;
        rows.push([
          r.displayName,
          r.studentNo,
          r.memberId,
          r.groups.map((g) => notice.groupNames[g] ?? g).join(' / '),
          STATE_NAMES[row.state],
          STATE_NAMES[row.push],
          this.time(row.receipt.readAt),
          this.time(row.receipt.confirmedAt),
        ]);
      }
      cursor = page.nextCursor === null ? undefined : Number(page.nextCursor);
    } while (cursor !== undefined && rows.length < CSV_MAX_ROWS);
    const header = ['姓名', '学号', '成员号', '分组', '状态', '推送', '阅读时间', '确认时间'];
    return { filename: `notice-${id}.csv`, body: csv(header, rows.slice(0, CSV_MAX_ROWS)) };
  }

  /** A check-in's attendance as CSV, everyone of the group (managers). */
  async checkinCsv(openid: string, id: string): Promise<{ filename: string; body: string }> {
    const snapshot = await this.deps.attendance.stats(openid, id);
    const status = (a: Attendee) => (a.sign ? (a.sign.status === 'late' ? '迟到' : '准时') : '缺席');
    const rows = snapshot.attendees.map((a) => [
      a.member.displayName,
      a.member.studentNo,
      a.member.memberId,
      a.member.tags.join(' / '),
      status(a),
      this.time(a.sign?.at ?? null),
      a.sign?.distanceM ?? null,
    ]);
    const header = ['姓名', '学号', '成员号', '标签', '签到', '签到时间', '距离(米)'];
    return { filename: `checkin-${id}.csv`, body: csv(header, rows) };
  }

  private time(ms: number | null): string {
    if (ms === null) return '';
    // `2026-11-21 08:30:05` in DEFAULT_TIMEZONE: what a spreadsheet reads as a time.
    return new Date(ms).toLocaleString('sv-SE', { timeZone: this.deps.timezone, hour12: false });
  }
}
