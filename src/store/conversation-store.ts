import { createHash } from 'node:crypto';
import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const conversationWindow = new LuaScript('conversation-window');

/** Entries kept per user, newest first; older ones fall off (an agent sees the last 200). */
export const CONVERSATION_KEPT = 200;

export type ConversationParty = 'user' | 'bot' | 'agent';
export type EntryType = 'text' | 'image' | 'link' | 'miniprogrampage' | 'event' | 'transfer';
/**
 * What became of an answer: `sent` (WeChat took it), `refused` (outside the window: by us before
 * any call, or by WeChat's 45015/45047), `failed` (any other failure), `transfer` (handed to human
 * agents by the passive reply; nothing sent).
 */
export type AnswerResult = 'sent' | 'refused' | 'failed' | 'transfer';

/** One message of a conversation, in or out, as stored (JSON in the user's list). */
export interface ConversationEntry {
  at: number; // epoch ms
  direction: 'in' | 'out';
  from: ConversationParty;
  type: EntryType;
  text?: string;
  image?: { mediaId?: string; picUrl?: string; file?: string };
  link?: { title: string; description: string; url: string; thumbUrl: string };
  miniprogrampage?: {
    title: string;
    pagePath: string;
    appId?: string;
    thumbUrl?: string;
    thumbMediaId?: string;
    thumbFile?: string;
  };
  event?: string; // user_enter_tempsession
  sessionFrom?: string;
  msgId?: string; // WeChat's MsgId of an incoming message (kept as text)
  rule?: string; // the rule that answered, `default`, or `agent`
  result?: AnswerResult;
  reason?: WindowRefusal; // why an answer was refused
  errcode?: number; // WeChat's, when a call failed
  errmsg?: string;
}

export type WindowKind = 'message' | 'session';
export type WindowRefusal = 'closed' | 'used_up';

/** The user's window as stored: how many messages may still go out, until when. */
export interface ConversationWindow {
  remaining: number;
  until: number; // epoch ms
  kind: WindowKind;
}

export type WindowTake =
  { ok: true; remaining: number; until: number } | { ok: false; reason: WindowRefusal };

/** One conversation of the agents' list: whose, when last active, its newest entry and window. */
export interface ConversationSummary {
  openid: string;
  lastActivity: number; // epoch ms
  last: ConversationEntry | null;
  window: ConversationWindow | null;
}

/** What is stored of a push already taken: `transfer` when it was handed to human agents, else `pending`. */
export type SeenState = 'pending' | 'transfer';

/**
 * The customer-service conversations (docs/architecture.md#customer-service): each user's capped
 * list of entries and their window (one hash tag per user), the index of conversations by last
 * activity, and the marks that make each push processed once across instances.
 */
export class ConversationStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly keepMs: number, // a conversation idle this long is dropped (RETENTION_DAYS)
  ) {}

  /**
   * Takes a push (SET NX, a day): null the first time, else what the first taker recorded, so a
   * retry of a transferred push answers the transfer again.
   */
  async take(dedupKey: string, ttlSeconds: number): Promise<SeenState | null> {
    const key = this.keys.botSeen(digest(dedupKey));
    if ((await this.redis.set(key, 'pending', { NX: true, EX: ttlSeconds })) === 'OK') return null;
    return ((await this.redis.get(key)) as SeenState | null) ?? 'pending';
  }

  /** Records that a taken push was handed to human agents, so that its retries answer the transfer too. */
  async settle(dedupKey: string, state: Exclude<SeenState, 'pending'>): Promise<void> {
    await this.redis.set(this.keys.botSeen(digest(dedupKey)), state, { XX: true, KEEPTTL: true });
  }

  /** Undoes take: processing failed on our side and WeChat's retry must be processed. */
  async release(dedupKey: string): Promise<void> {
    await this.redis.del(this.keys.botSeen(digest(dedupKey)));
  }

  /**
   * Appends an entry to the user's conversation (capped), bumps the index, and with `open` resets
   * the window to that action's maximum.
   */
  async append(openid: string, entry: ConversationEntry, open?: ConversationWindow): Promise<void> {
    const k = this.keys;
    const list = k.conversation(openid);
    const multi = this.redis
      .multi()
      .lPush(list, JSON.stringify(entry))
      .lTrim(list, 0, CONVERSATION_KEPT - 1)
      .pExpire(list, this.keepMs);
    await Promise.all([
      multi.exec(),
      this.redis.zAdd(k.conversations(), { score: entry.at, value: openid }, { GT: true }),
      // Conversations idle past the retention (their lists expired) leave the index here.
      this.redis.zRemRangeByScore(k.conversations(), '-inf', `(${entry.at - this.keepMs}`),
      open ? this.openWindow(openid, open, entry.at) : undefined,
    ]);
  }

  private async openWindow(openid: string, open: ConversationWindow, now: number): Promise<void> {
    const keep = Math.max(1, open.until - now) + 60_000;
    await this.window('open', openid, now, [open.remaining, open.until, open.kind, keep]);
  }

  /** Takes one message of the window; refused when it is closed (or over) or used up. */
  async takeWindow(openid: string, now: number): Promise<WindowTake> {
    const [ok, value, until] = await this.window<[number, number | string, string?]>('take', openid, now);
    if (ok === 1) return { ok: true, remaining: Number(value), until: Number(until) };
    return { ok: false, reason: value === 'used_up' ? 'used_up' : 'closed' };
  }

  /** Gives back a message taken from the window that ends at `until` (the send did not go out). */
  async giveBack(openid: string, until: number, now: number): Promise<void> {
    await this.window('give', openid, now, [until]);
  }

  /** Closes the window that ends at `until`: WeChat refused a send in it (45015, 45047). */
  async closeWindow(openid: string, until: number, now: number): Promise<void> {
    await this.window('close', openid, now, [until]);
  }

  private window<T>(op: string, openid: string, now: number, args: (string | number)[] = []): Promise<T> {
    return conversationWindow.run<T>(this.redis, [this.keys.conversationWindow(openid)], [op, now, ...args]);
  }

  /** The user's window as stored (it may be over: compare `until` with now), or null. */
  async windowOf(openid: string): Promise<ConversationWindow | null> {
    return windowFrom(await this.redis.hGetAll(this.keys.conversationWindow(openid)));
  }

  /** The user's entries, newest first, and when they were last active; null without a conversation. */
  async conversation(openid: string): Promise<{
    entries: ConversationEntry[];
    lastActivity: number;
    window: ConversationWindow | null;
  } | null> {
    const k = this.keys;
    const [items, score, window] = await Promise.all([
      this.redis.lRange(k.conversation(openid), 0, -1),
      this.redis.zScore(k.conversations(), openid),
      this.redis.hGetAll(k.conversationWindow(openid)),
    ]);
    if (score === null && items.length === 0) return null;
    const entries = items.map((item) => JSON.parse(item) as ConversationEntry);
    return { entries, lastActivity: score ?? entries[0]?.at ?? 0, window: windowFrom(window) };
  }

  /**
   * A page of conversations by last activity, newest first. The cursor is the last one read
   * (`<ms>:<openid>`): the page after it holds those active earlier, or at the same millisecond and
   * sorting before it, so a conversation becoming active meanwhile is not read twice on one walk.
   */
  async page(
    cursor: { lastActivity: number; openid: string } | null,
    limit: number,
    now: number,
  ): Promise<{ items: ConversationSummary[]; more: boolean }> {
    const k = this.keys;
    const oldest = now - this.keepMs; // older ones' lists have expired (append trims them off the index)
    const picked: { value: string; score: number }[] = [];
    const from = cursor ? String(cursor.lastActivity) : '+inf';
    // Members of one score come in reverse lexical order: those at the cursor's millisecond that
    // sort at or after it were on earlier pages.
    const seen = (m: { value: string; score: number }) =>
      cursor !== null && m.score === cursor.lastActivity && m.value >= cursor.openid;
    for (let offset = 0; picked.length <= limit;) {
      const batch = await this.redis.zRangeWithScores(k.conversations(), from, oldest, {
        BY: 'SCORE',
        REV: true,
        LIMIT: { offset, count: limit + 1 },
      });
      picked.push(...batch.filter((m) => !seen(m)));
      if (batch.length < limit + 1) break;
      offset += batch.length;
    }
    const page = picked.slice(0, limit);
    // One user per pipeline: their list and window share the hash tag `{<openid>}`, one slot.
    const replies = await Promise.all(
      page.map(({ value }) =>
        this.redis
          .multi()
          .lIndex(k.conversation(value), 0)
          .hGetAll(k.conversationWindow(value))
          .execAsPipeline(),
      ),
    );
    const items = page.map(({ value, score }, i) => {
      const [last, window] = (replies[i] ?? []) as unknown as [string | null, Record<string, string>];
      return {
        openid: value,
        lastActivity: score,
        last: last ? (JSON.parse(last) as ConversationEntry) : null,
        window: windowFrom(window),
      };
    });
    return { items, more: picked.length > limit };
  }

  /** Deletes the user's conversation and window and their index entry; how many records went. */
  async eraseOf(openid: string): Promise<number> {
    const k = this.keys;
    const [list, window] = await this.redis
      .multi()
      .lLen(k.conversation(openid))
      .exists(k.conversationWindow(openid))
      .del([k.conversation(openid), k.conversationWindow(openid)])
      .exec();
    const indexed = await this.redis.zRem(k.conversations(), openid);
    return Number(list) + Number(window) + Number(indexed);
  }
}

function windowFrom(hash: Record<string, string> | null | undefined): ConversationWindow | null {
  if (!hash || hash.until === undefined) return null;
  return {
    remaining: Number(hash.remaining ?? 0),
    until: Number(hash.until),
    kind: hash.kind === 'session' ? 'session' : 'message',
  };
}

function digest(dedupKey: string): string {
  return createHash('sha256').update(dedupKey).digest('base64url');
}
