import type { Keys } from './keys';
import { LuaScript } from './lua-script';
import type { Redis } from './redis';

const indexNoticeTerms = new LuaScript('index-notice-terms');
const searchNoticeTerms = new LuaScript('search-notice-terms');

const CAS_ATTEMPTS = 5; // a doc changed under us this often in a row: someone else keeps indexing it

/** What one group's index answered for a query: its matches and where its walk stopped. */
export interface ScopeMatches {
  done: boolean; // nothing older under the query's terms is left in this group
  last: string; // the last member examined ('' none): where to go on from
  members: string[]; // `<publishedAt>:<noticeId>` under every term, newest first
}

/**
 * The notice search index (README.md#redis-keys, docs/architecture.md#notice-search): per group a
 * sorted set per term (`search:{g<id>}:<term>`) of the notices addressed to it, and per notice and
 * group a doc (`search:{g<id>}:doc:<noticeId>`) of the terms it is under, so that an edit or a
 * retraction unindexes it without its old text. All of a group's keys share its hash tag: each
 * script runs in one cluster slot, and a query gathers the groups the caller may search.
 */
export class SearchIndexStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Puts the notice under exactly `terms` in the group (member null: takes it out). */
  async put(
    groupId: string,
    noticeId: string,
    member: string | null,
    terms: readonly string[],
  ): Promise<void> {
    const k = this.keys;
    const doc = k.searchDoc(groupId, noticeId);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const [oldMember, oldTerms] = await this.redis.hmGet(doc, ['member', 'terms']);
      const old = oldTerms ? oldTerms.split('\n') : [];
      const keys = [
        doc,
        ...old.map((t) => k.searchTerm(groupId, t)),
        ...(member === null ? [] : terms.map((t) => k.searchTerm(groupId, t))),
      ];
      const done = await indexNoticeTerms.run<number>(this.redis, keys, [
        oldMember ?? '',
        oldTerms ?? '',
        old.length,
        member ?? '',
        member === null ? '' : terms.join('\n'),
      ]);
      if (done === 1) return;
    }
    throw new Error(`search index: notice ${noticeId} of group ${groupId} kept changing while indexed`);
  }

  /** The first `count` notices of a group's `term` (lexical order: oldest first). */
  async first(groupId: string, term: string, count: number): Promise<string[]> {
    return this.redis.zRange(this.keys.searchTerm(groupId, term), 0, count - 1);
  }

  /** Takes members out of one term of a group without their doc (a doc already gone). */
  async drop(groupId: string, term: string, members: readonly string[]): Promise<void> {
    if (members.length > 0) await this.redis.zRem(this.keys.searchTerm(groupId, term), [...members]);
  }

  /**
   * The matches of `terms` in each group, newest first from each group's cursor, at most `want`
   * each and `budget` examined each: one script per group, sent together (one round trip).
   */
  async match(
    scopes: readonly { groupId: string; cursor: string }[],
    terms: readonly string[],
    want: number,
    budget: number,
  ): Promise<ScopeMatches[]> {
    return Promise.all(
      scopes.map(async ({ groupId, cursor }) => {
        const [done, last, ...members] = await searchNoticeTerms.run<[number, string, ...string[]]>(
          this.redis,
          terms.map((t) => this.keys.searchTerm(groupId, t)),
          [cursor, want, budget],
        );
        return { done: done === 1, last, members };
      }),
    );
  }
}
