import { userShardOf, type Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const writeInbox = new LuaScript('write-inbox');
const removeInbox = new LuaScript('remove-inbox');

/**
 * Users' inboxes are spread over this many shards. A user's inbox keys carry their shard's hash
 * tag (`{u<shard>}`, src/store/keys.ts), so that the fan-out of a notice writes the entries of a
 * whole shard's recipients in one script call — on one Redis and on a Cluster alike.
 */
export const INBOX_SHARDS = 16;

/** The inbox shard of a user. */
export function inboxShardOf(openid: string): number {
  return userShardOf(openid, INBOX_SHARDS);
}

/** Where to look in an inbox: every entry or only unread ones, all categories or one. */
export interface InboxFilter {
  unread?: boolean;
  category?: string;
}

/**
 * Users' inboxes and their notice preferences (README.md#redis-keys): per user a sorted set of
 * the notices they received, its unread part, the same per category, and the categories they
 * muted. Members are `<publishedAt>:<noticeId>` under score 0, so lexical order is publication
 * order and a page is one ZRANGE BYLEX — as fast with 10,000 entries as with 10 — and the unread
 * count is one ZCARD.
 */
export class InboxStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * Writes one notice's entry into these users' inboxes (write-inbox.lua, one call per shard),
   * leaving alone an entry already there; answers, per user in the order given, whether they
   * muted `category`.
   */
  async deliver(openids: readonly string[], member: string, category: string): Promise<boolean[]> {
    const muted = new Array<boolean>(openids.length).fill(false);
    await Promise.all(
      [...this.byShard(openids)].map(async ([shard, indexes]) => {
        const keys = indexes.flatMap((i) => {
          const openid = openids[i] as string;
          return [
            this.keys.inbox(shard, openid),
            this.keys.inboxUnread(shard, openid),
            this.keys.inboxCategory(shard, openid, category),
            this.keys.inboxCategoryUnread(shard, openid, category),
            this.keys.noticeMutes(shard, openid),
          ];
        });
        const flags = await writeInbox.run<number[]>(this.redis, keys, [member, category]);
        indexes.forEach((i, j) => (muted[i] = flags[j * 2 + 1] === 1));
      }),
    );
    return muted;
  }

  /** Takes one notice's entry out of these users' inboxes (remove-inbox.lua, one call per shard). */
  async remove(openids: readonly string[], member: string, category: string): Promise<void> {
    await Promise.all(
      [...this.byShard(openids)].map(([shard, indexes]) =>
        removeInbox.run(
          this.redis,
          indexes.flatMap((i) => {
            const openid = openids[i] as string;
            return [
              this.keys.inbox(shard, openid),
              this.keys.inboxUnread(shard, openid),
              this.keys.inboxCategory(shard, openid, category),
              this.keys.inboxCategoryUnread(shard, openid, category),
            ];
          }),
          [member],
        ),
      ),
    );
  }

  /** Marks an entry read (its unread entries go; the entry stays). */
  async markRead(openid: string, member: string, category: string): Promise<void> {
    const shard = inboxShardOf(openid);
    await this.redis
      .multi()
      .zRem(this.keys.inboxUnread(shard, openid), member)
      .zRem(this.keys.inboxCategoryUnread(shard, openid, category), member)
      .exec();
  }

  /** Members newest first, after `cursor` (a member), at most `limit`. O(log n + limit). */
  async page(
    openid: string,
    filter: InboxFilter,
    cursor: string | undefined,
    limit: number,
  ): Promise<string[]> {
    return this.redis.zRange(this.listKey(openid, filter), cursor ? `(${cursor}` : '+', '-', {
      BY: 'LEX',
      REV: true,
      LIMIT: { offset: 0, count: limit },
    });
  }

  /** How many entries a filter holds (ZCARD, O(1)). */
  async count(openid: string, filter: InboxFilter): Promise<number> {
    return this.redis.zCard(this.listKey(openid, filter));
  }

  /** Whether each member is still unread, in the order asked. */
  async unread(openid: string, members: readonly string[]): Promise<boolean[]> {
    if (members.length === 0) return [];
    const scores = await this.redis.zmScore(this.keys.inboxUnread(inboxShardOf(openid), openid), [
      ...members,
    ]);
    return scores.map((s) => s !== null);
  }

  /** Every member of the user's inbox (export, erase; bounded by what one person receives). */
  async all(openid: string): Promise<string[]> {
    return this.redis.zRange(this.keys.inbox(inboxShardOf(openid), openid), 0, -1);
  }

  /** The categories the user muted. */
  async muted(openid: string): Promise<string[]> {
    return this.redis.sMembers(this.keys.noticeMutes(inboxShardOf(openid), openid));
  }

  /** Mutes and unmutes categories. */
  async setMuted(openid: string, mute: readonly string[], unmute: readonly string[]): Promise<void> {
    const key = this.keys.noticeMutes(inboxShardOf(openid), openid);
    const multi = this.redis.multi();
    if (mute.length > 0) multi.sAdd(key, [...mute]);
    if (unmute.length > 0) multi.sRem(key, [...unmute]);
    await multi.exec();
  }

  /** Every list of the user's inbox as stored, members with their score (their export). */
  async lists(
    openid: string,
    categories: readonly string[],
  ): Promise<Record<string, { member: string; score: number }[]>> {
    const shard = inboxShardOf(openid);
    const k = this.keys;
    const named: [string, string][] = [
      ['all', k.inbox(shard, openid)],
      ['unread', k.inboxUnread(shard, openid)],
      ...categories.flatMap((c): [string, string][] => [
        [`category:${c}`, k.inboxCategory(shard, openid, c)],
        [`category:${c}:unread`, k.inboxCategoryUnread(shard, openid, c)],
      ]),
    ];
    const lists = await Promise.all(named.map(([, key]) => this.redis.zRangeWithScores(key, 0, -1)));
    return Object.fromEntries(
      named
        .map(
          ([name], i) => [name, (lists[i] ?? []).map((e) => ({ member: e.value, score: e.score }))] as const,
        )
        .filter(([, list]) => list.length > 0),
    );
  }

  /** Deletes every inbox key of the user for these categories (erase). Returns how many keys went. */
  async drop(openid: string, categories: readonly string[]): Promise<number> {
    const shard = inboxShardOf(openid);
    const k = this.keys;
    const keys = [
      k.inbox(shard, openid),
      k.inboxUnread(shard, openid),
      k.noticeMutes(shard, openid),
      ...categories.flatMap((c) => [
        k.inboxCategory(shard, openid, c),
        k.inboxCategoryUnread(shard, openid, c),
      ]),
    ];
    return this.redis.del(keys);
  }

  private listKey(openid: string, filter: InboxFilter): string {
    const shard = inboxShardOf(openid);
    const k = this.keys;
    if (filter.category !== undefined) {
      return filter.unread
        ? k.inboxCategoryUnread(shard, openid, filter.category)
        : k.inboxCategory(shard, openid, filter.category);
    }
    return filter.unread ? k.inboxUnread(shard, openid) : k.inbox(shard, openid);
  }

  private byShard(openids: readonly string[]): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    openids.forEach((openid, i) => {
      const shard = inboxShardOf(openid);
      const group = groups.get(shard);
      if (group) group.push(i);
      else groups.set(shard, [i]);
    });
    return groups;
  }
}
