/**
 * What the other party of a promise is told, as notifications (src/services/notification-service.ts)
 * of the promise template (`WX_PROMISE_TEMPLATE_ID`, config/templates.json): `{{title}}` says who
 * did what, `{{detail}}` is the promise, `{{fireTime}}` the moment concerned, and the template's
 * `phrase` field is given the state (已兑现 / 未兑现 / 已结束) through `data`.
 */
import { DateTime } from 'luxon';
import { promisePage, type PromiseRecord } from '../domain/promise';
import type { NotificationInput } from './notification-service';

export type PromiseEvent = 'kept' | 'missed' | 'ended';

const NAME_CHARS = 10; // a name in a title: with the longest verb phrase it stays within a thing's 20
const FALLBACK_NAME = '对方'; // "the other party", when nobody gave a name
const VERBS: Record<PromiseEvent, string> = {
  kept: '兑现了承诺',
  missed: '没有兑现承诺',
  ended: '结束了承诺',
};
export const STATES: Record<PromiseEvent, string> = { kept: '已兑现', missed: '未兑现', ended: '已结束' };

/** A sample of what a notification title renders as, for checking a new promise against the template. */
export const LONGEST_TITLE = `${'名'.repeat(NAME_CHARS)}${VERBS.missed}`;

export interface NoticeTarget {
  templateId: string;
  /** The template's key the state goes in (its first `phrase` field), or null when it has none. */
  stateKey: string | null;
}

/** A name as shown in a title: at most NAME_CHARS characters, or 对方. */
export function shownName(name: string | null): string {
  const chars = [...(name ?? '').trim()];
  return chars.length === 0 ? FALLBACK_NAME : chars.slice(0, NAME_CHARS).join('');
}

/** The moment a missed day is shown with: that day's promised time in the promise's zone. */
export function slotOfDay(p: Pick<PromiseRecord, 'hour' | 'min' | 'timezone'>, day: string): number {
  return DateTime.fromISO(day, { zone: p.timezone }).set({ hour: p.hour, minute: p.min }).toMillis();
}

/**
 * The notification telling `to` that `actorName` kept, missed (on `day`) or ended `promise`.
 * `dedupe` makes a retried step send it once.
 */
export function promiseNotice(
  target: NoticeTarget,
  promise: PromiseRecord,
  event: { kind: PromiseEvent; to: string; actorName: string | null; day?: string; at: number },
): NotificationInput {
  const { kind, to, day } = event;
  return {
    openid: to,
    templateId: target.templateId,
    page: promisePage(promise.id),
    title: `${shownName(event.actorName)}${VERBS[kind]}`,
    detail: promise.detail,
    timezone: promise.timezone,
    fireAt: kind === 'missed' && day ? slotOfDay(promise, day) : event.at,
    ...(target.stateKey ? { data: { [target.stateKey]: STATES[kind] } } : {}),
    dedupe: `promise:${promise.id}:${kind}${day ? `:${day}` : ''}`,
    source: `promise:${promise.id}`,
  };
}
