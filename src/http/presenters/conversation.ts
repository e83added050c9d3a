import type { ConversationEntry } from '../../store/conversation-store';
import type { Conversation, ConversationPage, WindowState } from '../../services/customer-service';

/** One message of a conversation, in or out; `at` in ISO 8601. */
export type ConversationMessageView = Omit<ConversationEntry, 'at'> & { at: string };

/** The user's window: whether a message may go out now, how many, until when. */
export interface WindowView {
  open: boolean;
  remaining: number;
  until: string | null;
  kind: 'message' | 'session' | null;
}

/** `GET /api/admin/conversations`: by last activity, newest first. */
export interface ConversationPageView {
  items: {
    openid: string;
    lastActivityAt: string;
    window: WindowView;
    last: ConversationMessageView | null;
  }[];
  nextCursor: string | null;
}

/** `GET /api/admin/conversations/:openid`: every message kept (the last 200), newest first. */
export interface ConversationView {
  openid: string;
  lastActivityAt: string;
  window: WindowView;
  messages: ConversationMessageView[];
}

/** `POST /api/admin/conversations/:openid/messages`: the message as recorded, and the window after it. */
export interface AgentReplyView {
  message: ConversationMessageView;
  window: WindowView;
}

export function presentAgentReply(sent: { entry: ConversationEntry; window: WindowState }): AgentReplyView {
  return { message: presentMessage(sent.entry), window: presentWindow(sent.window) };
}

export function presentMessage(entry: ConversationEntry): ConversationMessageView {
  return { ...entry, at: new Date(entry.at).toISOString() };
}

function presentWindow(window: WindowState): WindowView {
  return { ...window, until: window.until === null ? null : new Date(window.until).toISOString() };
}

export function presentConversationPage(page: ConversationPage): ConversationPageView {
  return {
    items: page.items.map((c) => ({
      openid: c.openid,
      lastActivityAt: new Date(c.lastActivity).toISOString(),
      window: presentWindow(c.window),
      last: c.last ? presentMessage(c.last) : null,
    })),
    nextCursor: page.nextCursor,
  };
}

export function presentConversation(c: Conversation): ConversationView {
  return {
    openid: c.openid,
    lastActivityAt: new Date(c.lastActivity).toISOString(),
    window: presentWindow(c.window),
    messages: c.entries.map(presentMessage),
  };
}
