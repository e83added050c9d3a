import type { Reminder } from '../../domain/reminder';
import { presentReminder, type ReminderView } from './reminder';

/**
 * A promise is a daily reminder of kind `give` or `ask` carrying the client's `cid`, and is
 * shown as one: the original client reads the same fields either way.
 */
export type PromiseView = ReminderView;

export function presentPromise(r: Reminder): PromiseView {
  return presentReminder(r);
}
