/**
 * Sends one customer-service message to a user through `custom/send`
 * (docs/architecture.md#customer-service): the window first (refused before any call when it is
 * closed or used up), images uploaded (cached media_ids), the shared access_token, and WeChat's
 * answer acted on as src/wechat/custom-message-policy.ts decides. Every outcome is one entry of the
 * user's conversation.
 */
import type { Logger } from '../logger';
import type { ConversationEntry, ConversationStore } from '../store/conversation-store';
import type { CustomMessage, CustomMessageClient } from '../wechat/custom-message-client';
import {
  decideCustomSend,
  type CustomAttemptState,
  type CustomPolicyOptions,
} from '../wechat/custom-message-policy';
import { isWeChatError } from '../wechat/errors';
import type { TokenManager } from '../wechat/token-manager';
import type { OutgoingBody } from './bot-rules';
import { ImageProblem, loadImage, type MediaCache } from './customer-service-media';

export interface SenderDeps {
  conversations: Pick<ConversationStore, 'takeWindow' | 'giveBack' | 'closeWindow' | 'append'>;
  client: Pick<CustomMessageClient, 'send'>;
  media: Pick<MediaCache, 'mediaIdFor'>;
  tokens: Pick<TokenManager, 'get' | 'invalidate'>;
  imageDir: string; // config/bot/
  logger: Logger;
  now: () => number;
  policy?: CustomPolicyOptions;
  /** Whether the user erased their data meanwhile: then nothing is recorded about them. */
  isErased?: (openid: string) => Promise<boolean>;
  sleep?: (ms: number) => Promise<void>;
}

export interface SendMeta {
  from: 'bot' | 'agent';
  rule: string; // the rule that answered, `default`, or `agent`
  recordRefusal?: boolean; // record a send refused before any call (default true; an agent's 409 stores nothing)
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class CustomerServiceSender {
  constructor(private readonly deps: SenderDeps) {}

  /** Sends `body` to `openid` within their window; resolves the conversation entry of the outcome. */
  async send(openid: string, body: OutgoingBody, meta: SendMeta): Promise<ConversationEntry> {
    const { conversations, now } = this.deps;
    const entry: ConversationEntry = {
      ...describe(body),
      at: now(),
      direction: 'out',
      from: meta.from,
      rule: meta.rule,
    };
    const taken = await conversations.takeWindow(openid, now());
    if (!taken.ok) {
      const refused = { ...entry, result: 'refused' as const, reason: taken.reason };
      if (meta.recordRefusal !== false) await this.record(openid, refused);
      return refused;
    }
    let outcome: ConversationEntry;
    try {
      outcome = await this.attempt(openid, body, entry);
    } catch (err) {
      // Our own failure (Redis): the message did not go out, so the window keeps it.
      await conversations.giveBack(openid, taken.until, now()).catch(() => undefined);
      throw err;
    }
    if (outcome.result === 'refused') await conversations.closeWindow(openid, taken.until, now());
    else if (outcome.result === 'failed') await conversations.giveBack(openid, taken.until, now());
    await this.record(openid, outcome);
    return outcome;
  }

  /** The calls of one send, retried, refreshed or given up as the policy says. */
  private async attempt(
    openid: string,
    body: OutgoingBody,
    entry: ConversationEntry,
  ): Promise<ConversationEntry> {
    const { tokens, client, logger } = this.deps;
    const state: CustomAttemptState = { transientTries: 0, tokenRefreshed: false };
    for (;;) {
      let token: string | undefined;
      let errcode = 0;
      let errmsg = 'ok';
      try {
        token = await tokens.get(); // a failed fetch is decided like a failed send
        await client.send(token, await this.message(openid, body, token, entry));
      } catch (err) {
        if (err instanceof ImageProblem) return { ...entry, result: 'failed', errmsg: err.message };
        if (!isWeChatError(err)) throw err;
        ({ errcode, errmsg } = err);
      }
      const decision = decideCustomSend(errcode, state, this.deps.policy);
      switch (decision.action) {
        case 'sent':
          return { ...entry, result: 'sent' };
        case 'refresh_token':
          state.tokenRefreshed = true;
          if (token !== undefined) await tokens.invalidate(token);
          continue;
        case 'retry':
          state.transientTries++;
          logger.info({ errcode, afterMs: decision.afterMs }, 'custom/send failed: retrying');
          await (this.deps.sleep ?? sleepFor)(decision.afterMs);
          continue;
        case 'window':
          logger.info({ errcode, reason: decision.reason }, 'custom/send refused: the window is over');
          return { ...entry, result: 'refused', reason: decision.reason, errcode, errmsg };
        case 'failed':
          logger.warn({ errcode, errmsg }, 'custom/send failed');
          return { ...entry, result: 'failed', errcode, errmsg };
      }
    }
  }

  /** WeChat's message for `body`; uploads (or reuses) its images and notes their media_id in `entry`. */
  private async message(
    openid: string,
    body: OutgoingBody,
    token: string,
    entry: ConversationEntry,
  ): Promise<CustomMessage> {
    const { media, imageDir } = this.deps;
    if ('text' in body) return { touser: openid, msgtype: 'text', text: { content: body.text } };
    if ('link' in body) {
      const { title, description, url, thumbUrl } = body.link;
      return { touser: openid, msgtype: 'link', link: { title, description, url, thumb_url: thumbUrl } };
    }
    if ('image' in body) {
      const mediaId = await media.mediaIdFor(await loadImage(imageDir, body.image), token);
      entry.image = { ...entry.image, mediaId };
      return { touser: openid, msgtype: 'image', image: { media_id: mediaId } };
    }
    const { title, pagePath, thumb } = body.miniprogrampage;
    const thumbMediaId = await media.mediaIdFor(await loadImage(imageDir, thumb), token);
    if (entry.miniprogrampage) entry.miniprogrampage.thumbMediaId = thumbMediaId;
    return {
      touser: openid,
      msgtype: 'miniprogrampage',
      miniprogrampage: { title, pagepath: pagePath, thumb_media_id: thumbMediaId },
    };
  }

  private async record(openid: string, entry: ConversationEntry): Promise<void> {
    if (await this.deps.isErased?.(openid)) return;
    await this.deps.conversations.append(openid, entry);
  }
}

/** How a message is recorded: its content, never an agent's image bytes. */
export function describe(
  body: OutgoingBody,
): Pick<ConversationEntry, 'type' | 'text' | 'image' | 'link' | 'miniprogrampage'> {
  if ('text' in body) return { type: 'text', text: body.text };
  if ('link' in body) return { type: 'link', link: { ...body.link } };
  if ('image' in body) return { type: 'image', image: body.image.file ? { file: body.image.file } : {} };
  const { title, pagePath, thumb } = body.miniprogrampage;
  return {
    type: 'miniprogrampage',
    miniprogrampage: { title, pagePath, ...(thumb.file ? { thumbFile: thumb.file } : {}) },
  };
}
