import { createHash } from 'node:crypto';
import type { Keys } from './keys';
import type { Redis } from './redis';

/** The rule table as stored: its JSON text (src/services/bot-rules.ts) and when it was last set. */
export interface StoredRules {
  json: string; // `{"rules": [...], "default": {...}}`
  updatedAt: number; // epoch ms
}

/** A temporary media_id WeChat gave for an image, and when (its 3 days count from then). */
export interface CachedMedia {
  mediaId: string;
  createdAt: number; // epoch ms
}

/** The bot's rule table, one JSON string every instance reads (`bot:rules`). */
export class BotRulesStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async read(): Promise<StoredRules | null> {
    const raw = await this.redis.get(this.keys.botRules());
    if (raw === null) return null;
    return JSON.parse(raw) as StoredRules;
  }

  /** Replaces the table (PUT /api/admin/bot/rules). */
  async write(rules: StoredRules): Promise<void> {
    await this.redis.set(this.keys.botRules(), JSON.stringify(rules));
  }

  /** Stores the seed (config/bot.json) unless a table is there already; true when it was stored. */
  async seed(rules: StoredRules): Promise<boolean> {
    return (await this.redis.set(this.keys.botRules(), JSON.stringify(rules), { NX: true })) === 'OK';
  }
}

/** media_ids of uploaded images by the SHA-256 of their bytes, shared by every instance. */
export class BotMediaStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  static digest(bytes: Buffer): string {
    return createHash('sha256').update(bytes).digest('base64url');
  }

  async read(digest: string): Promise<CachedMedia | null> {
    const raw = await this.redis.get(this.keys.botMedia(digest));
    return raw === null ? null : (JSON.parse(raw) as CachedMedia);
  }

  /** Keeps a media_id for `ttlMs` (real time; the reader also checks `createdAt` against its clock). */
  async write(digest: string, media: CachedMedia, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.botMedia(digest), JSON.stringify(media), { PX: Math.max(1, ttlMs) });
  }
}
