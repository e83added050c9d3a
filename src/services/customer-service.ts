/**
 * Customer-service messages and the bot (docs/architecture.md#customer-service).
 *
 * A push of a user's `text`, `image`, `miniprogrampage` or `user_enter_tempsession` is taken once
 * across instances (a SET NX on its dedup key), stored in the user's conversation with their window
 * reset, and matched against the rule table — all before the push is answered, in a few Redis round
 * trips. A `transfer` rule answers the passive `transfer_customer_service` reply and sends nothing;
 * any other answer is composed and sent through `custom/send` after the push was answered
 * `success` (a queue of bounded concurrency and length, drained on stop), so WeChat's 5 s never
 * wait on WeChat's own API. A failure before the answer gives the push back (5xx, WeChat retries);
 * a crash after it loses that one answer, never repeats it.
 */
import {
  conversationNotFound,
  conversationWindowClosed,
  customerMessageFailed,
  invalidRequest,
} from '../errors';
import type { Logger } from '../logger';
import { dedupKey, type PushMessage } from '../push/push-message';
import type {
  ConversationEntry,
  ConversationStore,
  ConversationSummary,
  ConversationWindow,
} from '../store/conversation-store';
import type { BotAnswers } from './bot-answers';
import type { Decision, OutgoingBody } from './bot-rules';
import type { BotService } from './bot-service';
import { readPush, TEMPSESSION_EVENT } from './customer-service-incoming';
import { ImageProblem, loadImage } from './customer-service-media';
import type { CustomerServiceSender } from './customer-service-sender';

const SEEN_TTL_SECONDS = 24 * 3600; // WeChat retries within seconds; a day is ample

/** The user's window as of now: whether a message may go out, how many, until when. */
export interface WindowState {
  open: boolean;
  remaining: number;
  until: number | null; // epoch ms
  kind: ConversationWindow['kind'] | null;
}

export interface Conversation {
  openid: string;
  lastActivity: number; // epoch ms
  window: WindowState;
  entries: ConversationEntry[]; // newest first
}

export interface ConversationPage {
  items: (Omit<ConversationSummary, 'window'> & { window: WindowState })[];
  nextCursor: string | null; // `<lastActivity ms>:<openid>` of the last item
}

/** What the push route answers: `success`, or the passive reply that hands the user to human agents. */
export interface CustomerServiceAnswer {
  outcome: 'processed' | 'duplicate';
  transfer: boolean;
}

export interface CustomerServiceDeps {
  conversations: Pick<
    ConversationStore,
    'take' | 'settle' | 'release' | 'append' | 'conversation' | 'page' | 'windowOf'
  >;
  bot: Pick<BotService, 'current'>;
  answers: Pick<BotAnswers, 'compose'>;
  sender: Pick<CustomerServiceSender, 'send'>;
  imageDir: string; // config/bot/ (agents may name its files)
  logger: Logger;
  now: () => number;
  concurrency?: number; // answers sent at once per instance, default 16
  maxQueued?: number; // answers waiting beyond that, default 5000 (then one is recorded failed)
  onMessage?: (type: string) => void; // metrics: messages in by type
  onAnswer?: (rule: string, result: string) => void; // metrics: answers by rule and result
}

export class CustomerService {
  private readonly queue: (() => Promise<void>)[] = [];
  private running = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly deps: CustomerServiceDeps) {}

  /** Whether a push is the customer service's: a user's message, or their entering the session. */
  handles(message: PushMessage): boolean {
    if (message.msgType === 'event') return message.event === TEMPSESSION_EVENT;
    return message.msgType === 'text' || message.msgType === 'image' || message.msgType === 'miniprogrampage';
  }

  /** Takes, stores and decides one push (see the file's comment); a retry answers as the first did. */
  async receive(message: PushMessage, log: Logger = this.deps.logger): Promise<CustomerServiceAnswer> {
    const { conversations, now } = this.deps;
    const key = dedupKey(message);
    const seen = await conversations.take(key, SEEN_TTL_SECONDS);
    if (seen !== null) return { outcome: 'duplicate', transfer: seen === 'transfer' };
    const openid = message.fromUserName;
    let decision: Decision;
    try {
      const { incoming, entry, window } = readPush(message, now());
      this.deps.onMessage?.(incoming.event ?? incoming.msgType);
      await conversations.append(openid, entry, window);
      decision = (await this.deps.bot.current()).decide(incoming);
      if ('transfer' in decision) {
        await conversations.append(openid, {
          at: now(),
          direction: 'out',
          from: 'bot',
          type: 'transfer',
          rule: decision.rule,
          result: 'transfer',
        });
        await conversations.settle(key, 'transfer');
        this.deps.onAnswer?.(decision.rule, 'transfer');
        log.info({ rule: decision.rule }, 'customer service: handed to human agents');
        return { outcome: 'processed', transfer: true };
      }
    } catch (err) {
      await conversations.release(key).catch(() => undefined);
      throw err;
    }
    this.enqueue(openid, decision, log);
    return { outcome: 'processed', transfer: false };
  }

  /** `POST /api/admin/conversations/:openid/messages`: an agent's reply, while the window is open (409 after). */
  async reply(
    openid: string,
    body: OutgoingBody,
  ): Promise<{ entry: ConversationEntry; window: WindowState }> {
    const { conversations, sender, now } = this.deps;
    const found = await conversations.conversation(openid);
    if (!found || found.entries.length === 0) throw conversationNotFound();
    await this.checkImages(body);
    const entry = await sender.send(openid, body, { from: 'agent', rule: 'agent', recordRefusal: false });
    this.deps.onAnswer?.('agent', entry.result ?? 'failed');
    if (entry.result === 'refused') throw conversationWindowClosed(entry.reason ?? 'closed');
    if (entry.result !== 'sent') throw customerMessageFailed(entry.errcode ?? null, entry.errmsg ?? '');
    return { entry, window: windowState(await conversations.windowOf(openid), now()) };
  }

  /** `GET /api/admin/conversations/:openid`. */
  async conversation(openid: string): Promise<Conversation> {
    const found = await this.deps.conversations.conversation(openid);
    if (!found || found.entries.length === 0) throw conversationNotFound();
    return {
      openid,
      lastActivity: found.lastActivity,
      window: windowState(found.window, this.deps.now()),
      entries: found.entries,
    };
  }

  /** `GET /api/admin/conversations`: by last activity, newest first. */
  async list(cursor: string | undefined, limit: number): Promise<ConversationPage> {
    const now = this.deps.now();
    const at = cursor ? parseCursor(cursor) : null;
    const { items, more } = await this.deps.conversations.page(at, limit, now);
    const last = items[items.length - 1];
    return {
      items: items.map((c) => ({ ...c, window: windowState(c.window, now) })),
      nextCursor: more && last ? `${last.lastActivity}:${last.openid}` : null,
    };
  }

  /** Answers still queued or being sent on this instance. */
  get pending(): number {
    return this.running + this.queue.length;
  }

  /** Resolves once every queued answer went out, or after `timeoutMs`; how many were still pending. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.pending === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    return this.pending;
  }

  private async checkImages(body: OutgoingBody): Promise<void> {
    const sources =
      'image' in body
        ? [['image', body.image] as const]
        : 'miniprogrampage' in body
          ? [['miniprogrampage.thumb', body.miniprogrampage.thumb] as const]
          : [];
    for (const [path, source] of sources) {
      try {
        await loadImage(this.deps.imageDir, source);
      } catch (err) {
        if (!(err instanceof ImageProblem)) throw err;
        throw invalidRequest([
          { path: `${path}.${source.file !== undefined ? 'file' : 'data'}`, message: err.message },
        ]);
      }
    }
  }

  private enqueue(openid: string, decision: Exclude<Decision, { transfer: true }>, log: Logger): void {
    if (this.queue.length >= (this.deps.maxQueued ?? 5000)) {
      log.error(
        { rule: decision.rule, queued: this.queue.length },
        'customer service: answer queue full, answer dropped',
      );
      this.deps.onAnswer?.(decision.rule, 'dropped');
      return;
    }
    this.queue.push(() => this.answer(openid, decision, log));
    this.pump();
  }

  private pump(): void {
    while (this.running < (this.deps.concurrency ?? 16)) {
      const task = this.queue.shift();
      if (!task) break;
      this.running++;
      void task().finally(() => {
        this.running--;
        this.pump();
        if (this.pending === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    }
  }

  private async answer(
    openid: string,
    decision: Exclude<Decision, { transfer: true }>,
    log: Logger,
  ): Promise<void> {
    try {
      const rules = await this.deps.bot.current();
      const body = await this.deps.answers.compose(decision.reply, openid, rules);
      const entry = await this.deps.sender.send(openid, body, { from: 'bot', rule: decision.rule });
      this.deps.onAnswer?.(decision.rule, entry.result ?? 'failed');
      log.info(
        { rule: decision.rule, result: entry.result, errcode: entry.errcode },
        'customer service: bot answered',
      );
    } catch (err) {
      // Redis or the token failed after the push was answered: this answer is lost, and said so.
      this.deps.onAnswer?.(decision.rule, 'failed');
      log.error({ rule: decision.rule, err: (err as Error).message }, 'customer service: answer failed');
    }
  }
}

export function windowState(window: ConversationWindow | null, now: number): WindowState {
  if (!window) return { open: false, remaining: 0, until: null, kind: null };
  const live = window.until > now;
  return {
    open: live && window.remaining > 0,
    remaining: live ? window.remaining : 0,
    until: window.until,
    kind: window.kind,
  };
}

function parseCursor(cursor: string): { lastActivity: number; openid: string } {
  const colon = cursor.indexOf(':');
  return { lastActivity: Number(cursor.slice(0, colon)), openid: cursor.slice(colon + 1) };
}
