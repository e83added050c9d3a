/**
 * The bot's built-in answers that know tixing (docs/architecture.md#customer-service): `reminders` (the user's next five
 * pending reminders), `notices` (their unread notices), `help` (what the bot can do). Each is
 * composed when it is sent, from the asking user's own data only.
 */
import { DateTime } from 'luxon';
import type { Reminder } from '../domain/reminder';
import { TEXT_MAX_CHARS, type BotReply, type CompiledRules, type OutgoingBody } from './bot-rules';
import type { ReminderService } from './reminder-service';

/**
 * A user's unread notices, newest first. The notices feature provides it (its inbox); until it is
 * wired, NO_UNREAD_NOTICES answers none.
 */
export interface UnreadNotices {
  unread(openid: string, limit: number): Promise<{ id: string; title: string }[]>;
}

export const NO_UNREAD_NOTICES: UnreadNotices = { unread: () => Promise.resolve([]) };

export const NEXT_REMINDERS = 5;
const UNREAD_SHOWN = 5;
const PAGE = 100; // reminders read per page while looking for the pending ones (≤ 500 per user)
const MAX_PAGES = 10;

export interface BotAnswersDeps {
  reminders: Pick<ReminderService, 'list'>;
  notices: UnreadNotices;
}

export class BotAnswers {
  constructor(private readonly deps: BotAnswersDeps) {}

  /** The message a reply sends to `openid`: itself, or a built-in composed now. */
  async compose(reply: BotReply, openid: string, rules: CompiledRules): Promise<OutgoingBody> {
    if (!('builtin' in reply)) return reply;
    switch (reply.builtin) {
      case 'reminders':
        return { text: clip(formatReminders(await this.nextReminders(openid))) };
      case 'notices':
        return { text: clip(formatNotices(await this.deps.notices.unread(openid, UNREAD_SHOWN))) };
      case 'help':
        return { text: clip(formatHelp(rules.helpLines())) };
    }
  }

  /** The user's pending reminders due soonest, at most NEXT_REMINDERS, soonest first. */
  async nextReminders(openid: string): Promise<Reminder[]> {
    const pending: Reminder[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { items, nextCursor } = await this.deps.reminders.list(openid, {
        status: 'pending',
        limit: PAGE,
        ...(cursor ? { cursor } : {}),
      });
      pending.push(...items);
      if (!nextCursor) break;
      cursor = nextCursor;
    }
    return pending
      .filter((r) => r.openid === openid && r.nextFireAt !== null)
      .sort((a, b) => (a.nextFireAt ?? 0) - (b.nextFireAt ?? 0) || Number(a.id) - Number(b.id))
      .slice(0, NEXT_REMINDERS);
  }
}

function formatReminders(reminders: readonly Reminder[]): string {
  if (reminders.length === 0) return '你还没有待发送的提醒。在小程序里新建一个吧。';
  const lines = reminders.map((r, i) => {
    const when = DateTime.fromMillis(r.nextFireAt ?? 0, { zone: r.timezone }).toFormat('M月d日 HH:mm');
    return `${i + 1}. ${when} ${r.title}`;
  });
  return `你接下来的${reminders.length}个提醒：\n${lines.join('\n')}`;
}

function formatNotices(notices: readonly { id: string; title: string }[]): string {
  if (notices.length === 0) return '你没有未读的通知。';
  const lines = notices.map((n, i) => `${i + 1}. ${n.title}`);
  return `你有${notices.length}条未读通知：\n${lines.join('\n')}\n在小程序的消息里查看全文。`;
}

function formatHelp(lines: readonly string[]): string {
  const list = lines.length > 0 ? `\n${lines.map((l) => `· ${l}`).join('\n')}` : '';
  return `我是提醒小助手，可以回答这些：${list}\n其他问题请直接留言，客服会尽快回复。`;
}

function clip(text: string): string {
  return text.length <= TEXT_MAX_CHARS ? text : `${text.slice(0, TEXT_MAX_CHARS - 1)}…`;
}
