/**
 * What a customer-service push is, as CustomerService keeps it (docs/wechat.md#customer-service-messages):
 * the rules' view of it, its conversation entry (every field as text, cut to a bounded length),
 * the window it opens, and the passive reply that hands the user to human agents.
 */
import type { PushMessage } from '../push/push-message';
import type { ConversationEntry, ConversationWindow } from '../store/conversation-store';
import type { Incoming } from './bot-rules';

export const WINDOW_MESSAGES = 5; // a user message allows 5 answers…
export const WINDOW_MESSAGE_MS = 48 * 3_600_000; // …within 48 h
export const WINDOW_SESSION_MS = 60_000; // entering the session allows 1 within 1 min
export const TEMPSESSION_EVENT = 'user_enter_tempsession';
const TEXT_KEPT_CHARS = 2000; // of a user's message, in the conversation
const FIELD_KEPT_CHARS = 512; // of a URL, an id or a title

/** The rules' view of a push, its conversation entry, and the window it opens. */
export function readPush(
  message: PushMessage,
  now: number,
): { incoming: Incoming; entry: ConversationEntry; window: ConversationWindow } {
  const raw = message.raw;
  const base = { at: now, direction: 'in' as const, from: 'user' as const };
  const msgId = field(raw, 'MsgId') ?? field(raw, 'MsgID');
  const ids = msgId ? { msgId } : {};
  const window = (kind: ConversationWindow['kind']): ConversationWindow =>
    kind === 'session'
      ? { remaining: 1, until: now + WINDOW_SESSION_MS, kind }
      : { remaining: WINDOW_MESSAGES, until: now + WINDOW_MESSAGE_MS, kind };
  switch (message.msgType) {
    case 'text': {
      const text = field(raw, 'Content', TEXT_KEPT_CHARS) ?? '';
      return {
        incoming: { msgType: 'text', text },
        entry: { ...base, ...ids, type: 'text', text },
        window: window('message'),
      };
    }
    case 'image': {
      const image = compact({ picUrl: field(raw, 'PicUrl'), mediaId: field(raw, 'MediaId') });
      return {
        incoming: { msgType: 'image' },
        entry: { ...base, ...ids, type: 'image', image },
        window: window('message'),
      };
    }
    case 'miniprogrampage': {
      const page = {
        title: field(raw, 'Title') ?? '',
        pagePath: field(raw, 'PagePath') ?? '',
        ...compact({
          appId: field(raw, 'AppId'),
          thumbUrl: field(raw, 'ThumbUrl'),
          thumbMediaId: field(raw, 'ThumbMediaId'),
        }),
      };
      return {
        incoming: { msgType: 'miniprogrampage' },
        entry: { ...base, ...ids, type: 'miniprogrampage', miniprogrampage: page },
        window: window('message'),
      };
    }
    default: {
      const sessionFrom = field(raw, 'SessionFrom');
      return {
        incoming: { msgType: 'event', event: TEMPSESSION_EVENT },
        entry: {
          ...base,
          type: 'event',
          event: TEMPSESSION_EVENT,
          ...(sessionFrom !== undefined ? { sessionFrom } : {}),
        },
        window: window('session'),
      };
    }
  }
}

/**
 * The passive reply that hands the user to human agents (WeChat's `transfer_customer_service`), in
 * the format of the push it answers; PushService encrypts it when the push was encrypted.
 */
export function transferReply(
  message: PushMessage,
  now: number,
  format: 'json' | 'xml',
): { text: string; format: 'json' | 'xml' } {
  const createTime = Math.floor(now / 1000);
  if (format === 'json') {
    const fields = {
      ToUserName: message.fromUserName,
      FromUserName: message.toUserName,
      CreateTime: createTime,
      MsgType: 'transfer_customer_service',
    };
    return { text: JSON.stringify(fields), format };
  }
  const cdata = (v: string) => `<![CDATA[${v.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
  const text =
    `<xml><ToUserName>${cdata(message.fromUserName)}</ToUserName><FromUserName>${cdata(message.toUserName)}</FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType>${cdata('transfer_customer_service')}</MsgType></xml>`;
  return { text, format };
}

/** A push field as text (ids keep every digit), cut to `max` characters; undefined when absent. */
function field(raw: Record<string, unknown>, key: string, max = FIELD_KEPT_CHARS): string | undefined {
  if (!Object.hasOwn(raw, key)) return undefined;
  const value = raw[key];
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'bigint' || typeof value === 'number'
        ? String(value)
        : undefined;
  return text === undefined ? undefined : text.slice(0, max);
}

function compact<T extends Record<string, string | undefined>>(obj: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: string;
  };
}
