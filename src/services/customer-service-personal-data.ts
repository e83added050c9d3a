import type { ConversationEntry, ConversationStore, ConversationWindow } from '../store/conversation-store';
import { isoTime, type KeyFamily, type PersonalData } from './personal-data';

/** A person's customer-service conversation as exported: every entry as stored, and their window. */
export interface ConversationExport {
  lastActivityAt: string | null;
  window: ConversationWindow | null;
  messages: ConversationEntry[]; // newest first, in the store's field names (`at` in epoch ms)
}

/**
 * The customer-service conversation (src/services/customer-service.ts): the user's messages and
 * the bot's and agents' answers, their window counters and their entry in the agents' index. The
 * marks that deduplicate pushes and the media cache name no user (SHA-256 digests). Added before
 * the ledgers like every feature that sends: an answer still in flight checks the erasure
 * tombstone before it records anything.
 */
export class ConversationPersonalData implements PersonalData {
  readonly name = 'conversations';
  readonly families: readonly KeyFamily[] = [
    {
      pattern: 'conversation:{<openid>}',
      about: 'list: the conversation, JSON entries in and out, newest first',
    },
    {
      pattern: 'conversation:{<openid>}:window',
      about: 'hash: the customer-service window (remaining, until, kind)',
    },
    {
      pattern: 'conversations',
      about: 'zset: conversations by last activity (member: the openid)',
      shared: true,
    },
  ];

  constructor(private readonly store: Pick<ConversationStore, 'conversation' | 'eraseOf'>) {}

  async export(openid: string): Promise<ConversationExport> {
    const found = await this.store.conversation(openid);
    if (!found) return { lastActivityAt: null, window: null, messages: [] };
    return { lastActivityAt: isoTime(found.lastActivity), window: found.window, messages: found.entries };
  }

  erase(openid: string): Promise<number> {
    return this.store.eraseOf(openid);
  }
}
