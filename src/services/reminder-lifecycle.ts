import type { Reminder } from '../domain/reminder';
import {
  invalidRequest,
  pendingLimitReached,
  reminderChanged,
  reminderNotFound,
  reminderNotPending,
  reminderNotSnoozable,
} from '../errors';
import { nextOccurrence } from '../scheduler/recurrence';
import type { ReminderStore } from '../store/reminder-store';
import { PENDING_LIMIT } from './reminder-service';

const MINUTE_MS = 60_000;
// A reminder that fires or is edited between our read and our write is read again, a few times.
const ATTEMPTS = 3;

export interface ReminderLifecycleDeps {
  store: Pick<ReminderStore, 'get' | 'dueSlot' | 'markDone' | 'snooze'>;
  schedule: { publishUpsert(id: string, fireAt: number | null): Promise<void> }; // the scheduler
  now: () => number;
}

/**
 * What a person does with a reminder once it exists, beyond editing it (docs/architecture.md#done-and-snooze):
 *
 * - **done** (`POST /api/reminders/:id/done`): a pending one-shot becomes `done` and is never sent;
 *   a recurring one skips the occurrence due next (an extra one a snooze added counts as that)
 *   and moves to the one after. Only a pending reminder can be done (409 otherwise).
 * - **snooze** (`POST /api/reminders/:id/snooze {minutes}`): one extra occurrence `minutes` from
 *   now. The reminder's single due slot in the `due` index becomes that instant, so the extra
 *   occurrence goes through the same claim, lease, send (with its own grant) and record as every
 *   other one, once across instances. A one-shot has one occurrence: that one moves (a pending
 *   one-shot is sent at now + minutes instead of its time; one that was already handled — sent,
 *   failed, missed, no_quota, rate_limited — is pending again for it). A recurring one keeps its
 *   regular next slot: the extra slot must come before it (a 400 naming `minutes` otherwise),
 *   and once the extra occurrence is handled the rule's next slot after it is that same regular
 *   slot, so the schedule is unchanged afterwards. Snoozing again replaces a snooze not yet sent.
 *   Cancelled and done reminders cannot be snoozed (409).
 *
 * Both write with a compare-and-set on the due slot read just before (mark-reminder-done.lua,
 * snooze-reminder.lua), then re-time that one job on every instance as an edit does.
 */
export class ReminderLifecycle {
  constructor(private readonly deps: ReminderLifecycleDeps) {}

  async markDone(openid: string, id: string): Promise<Reminder> {
    const { store, schedule, now } = this.deps;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const reminder = await this.owned(openid, id);
      if (reminder.status !== 'pending') throw reminderNotPending(reminder.status);
      const slot = await store.dueSlot(id);
      // The occurrence skipped is the one due, whichever it is (a snooze's extra one included).
      const nextSlot =
        reminder.repeat && slot !== null ? nextOccurrence(reminder.repeat, reminder.timezone, slot) : null;
      const outcome = await store.markDone(openid, id, { expectedSlot: slot, nextSlot, now: now() });
      if (outcome === 'missing') throw reminderNotFound();
      if (outcome === 'not_pending') throw reminderNotPending((await this.owned(openid, id)).status);
      if (outcome === 'changed') continue;
      await schedule.publishUpsert(id, outcome === 'done' ? null : nextSlot);
      return this.owned(openid, id);
    }
    throw reminderChanged();
  }

  async snooze(openid: string, id: string, minutes: number): Promise<Reminder> {
    const { store, schedule, now } = this.deps;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const reminder = await this.owned(openid, id);
      if (reminder.status === 'cancelled' || reminder.status === 'done') {
        throw reminderNotSnoozable(reminder.status);
      }
      const at = now();
      const extra = at + minutes * MINUTE_MS;
      const slot = await store.dueSlot(id);
      if (reminder.repeat) {
        const regular = regularSlot(reminder, slot, at);
        if (extra >= regular) throw snoozePastRegular(regular, at);
      }
      const change = { expectedSlot: slot, slot: extra, now: at, pendingLimit: PENDING_LIMIT };
      const outcome = await store.snooze(openid, id, change);
      if (outcome === 'missing') throw reminderNotFound();
      if (outcome === 'cancelled' || outcome === 'done') throw reminderNotSnoozable(outcome);
      if (outcome === 'limit') throw pendingLimitReached(PENDING_LIMIT);
      if (outcome === 'changed') continue;
      await schedule.publishUpsert(id, extra);
      return this.owned(openid, id);
    }
    throw reminderChanged();
  }

  /** Another user's reminder is indistinguishable from a missing one (404). */
  private async owned(openid: string, id: string): Promise<Reminder> {
    const reminder = /^\d{1,15}$/.test(id) ? await this.deps.store.get(id) : null;
    if (!reminder || reminder.openid !== openid) throw reminderNotFound();
    return reminder;
  }
}

/**
 * The regular slot a recurring reminder is headed for: the one due, unless what is due is a
 * snooze's extra slot or is being sent right now — then the rule's next one after it.
 */
function regularSlot(reminder: Reminder, due: number | null, now: number): number {
  const repeat = reminder.repeat;
  if (!repeat) throw new Error('regularSlot of a one-shot');
  if (due === null) return nextOccurrence(repeat, reminder.timezone, now);
  if (reminder.snoozeAt === due || due <= now) return nextOccurrence(repeat, reminder.timezone, due);
  return due;
}

function snoozePastRegular(regular: number, now: number) {
  const most = Math.floor((regular - now - 1) / MINUTE_MS);
  const when = new Date(regular).toISOString();
  const message =
    most >= 5
      ? `must end before the reminder's next occurrence at ${when}: at most ${most} minutes now`
      : `the reminder's next occurrence at ${when} is less than 5 minutes away: nothing to snooze to before it`;
  return invalidRequest([{ path: 'minutes', message }]);
}
