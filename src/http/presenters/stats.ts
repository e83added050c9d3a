import type { ReminderStatus } from '../../domain/reminder';
import type { ReloadReply } from '../../scheduler/scheduler';
import type { AdminStats } from '../../services/stats-service';

/** `GET /api/admin/stats`; see StatsService for how each number is counted. */
export interface StatsView {
  reminders: { byStatus: Record<ReminderStatus, number>; counted: number; truncated: boolean };
  sends: {
    byDay: Record<string, Record<string, number>>; // `YYYY-MM-DD` (UTC) → result → count, newest first
    total: Record<string, number>;
  };
  quotaMisses: { total: number; byDay: Record<string, number> };
  generatedAt: string;
}

/** `POST /api/admin/jobs/reload`: how many instances answered, and what each reconciled. */
export interface ReloadView {
  instances: number;
  replies: ReloadReply[];
}

export function presentStats(stats: AdminStats): StatsView {
  const { reminders, sends, quotaMisses } = stats;
  return {
    reminders: { byStatus: reminders.byStatus, counted: reminders.counted, truncated: reminders.truncated },
    sends: { byDay: sends.byDay, total: sends.total },
    quotaMisses: { total: quotaMisses.total, byDay: quotaMisses.byDay },
    generatedAt: stats.generatedAt,
  };
}

export function presentReload(replies: readonly ReloadReply[]): ReloadView {
  return { instances: replies.length, replies: [...replies] };
}
