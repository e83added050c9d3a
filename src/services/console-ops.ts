import type { InstanceBeat } from '../store/console-instance-store';
import type { NotificationStore } from '../store/notification-store';
import type { ReminderStore } from '../store/reminder-store';
import type { SendPauseStore } from '../store/send-pause-store';
import type { TokenStore } from '../store/token-store';
import type { HealthReport, HealthService } from './health-service';
import type { InstanceBeats } from './console-instances';

export const NEXT_DUE_SHOWN = 10;
const AHEAD_MS = 400 * 86_400_000; // past the furthest one-shot (366 days) and any daily or cron slot

/** One occurrence that falls due next, as the operator sees it: no title, no openid. */
export interface DueOccurrence {
  source: 'reminder' | 'notification';
  id: string;
  kind: string; // reminder, give, ask; `notification` for one-off pushes (notices, promise news)
  repeat: 'once' | 'daily' | 'cron' | null; // reminders only
  dueAt: number; // ms; earlier than now when it is overdue (being sent, or waiting out a pause)
}

/** `GET /api/console/ops/overview`: what the service is doing, never a secret. */
export interface OpsOverview {
  health: HealthReport['data'];
  instances: InstanceBeat[];
  nextDue: DueOccurrence[]; // soonest first, at most NEXT_DUE_SHOWN
  token: { present: boolean; expiresAt: number | null }; // the shared access_token: only whether and until when
  pause: { paused: boolean; remainingMs: number; lastWindow: { start: number; end: number } | null };
  quotaMode: 'enforce' | 'ignore';
  sandbox: boolean;
  generatedAt: number;
}

export interface ConsoleOpsDeps {
  health: Pick<HealthService, 'check'>;
  instances: Pick<InstanceBeats, 'list'>;
  reminders: Pick<ReminderStore, 'dueSlice' | 'getMany'>;
  notifications: Pick<NotificationStore, 'due'>;
  tokens: Pick<TokenStore, 'read'>;
  pauses: Pick<SendPauseStore, 'remainingMs' | 'window'>;
  quotaMode: 'enforce' | 'ignore';
  sandbox: boolean;
  now: () => number;
}

/**
 * The operator console's overview: health and instances, the next due occurrences of
 * both kinds, the access_token's state (present, expiry: never the token) and the 45009 pause.
 * Sends by result per day and quota misses are `GET /api/admin/stats`, as before.
 */
export class ConsoleOps {
  constructor(private readonly deps: ConsoleOpsDeps) {}

  async overview(): Promise<OpsOverview> {
    const { health, instances, tokens, pauses, now } = this.deps;
    const [report, beats, nextDue, token, remainingMs, lastWindow] = await Promise.all([
      health.check(),
      instances.list(),
      this.nextDue(),
      tokens.read(),
      pauses.remainingMs(),
      pauses.window(),
    ]);
    return {
      health: report.data,
      instances: beats,
      nextDue,
      token: { present: token !== undefined, expiresAt: token?.expiresAt ?? null },
      pause: { paused: remainingMs > 0, remainingMs, lastWindow },
      quotaMode: this.deps.quotaMode,
      sandbox: this.deps.sandbox,
      generatedAt: now(),
    };
  }

  private async nextDue(): Promise<DueOccurrence[]> {
    const { reminders, notifications, now } = this.deps;
    const until = now() + AHEAD_MS;
    const [slice, pushes] = await Promise.all([
      reminders.dueSlice(until, NEXT_DUE_SHOWN),
      notifications.due(until, NEXT_DUE_SHOWN),
    ]);
    const records = await reminders.getMany(slice.map((r) => r.id));
    const due: DueOccurrence[] = [
      ...slice.map((r, i): DueOccurrence => {
        const reminder = records[i] ?? null;
        const repeat = reminder?.repeat ?? null;
        return {
          source: 'reminder',
          id: r.id,
          kind: reminder?.kind ?? 'reminder',
          repeat: reminder ? (repeat === null ? 'once' : 'daily' in repeat ? 'daily' : 'cron') : null,
          dueAt: r.fireAt,
        };
      }),
      ...pushes.map((n): DueOccurrence => ({
        source: 'notification',
        id: n.id,
        kind: 'notification',
        repeat: null,
        dueAt: n.at,
      })),
    ];
    return due.sort((a, b) => a.dueAt - b.dueAt).slice(0, NEXT_DUE_SHOWN);
  }
}
