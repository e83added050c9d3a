import { inboxMember, noticeOfInboxMember, type Notice, type Urgency } from '../domain/notice';
import { invalidRequest } from '../errors';
import { isManagerRole, type Member } from '../domain/group';
import type { NoticeRecipientStore } from '../store/notice-recipient-store';
import type { NoticeStore } from '../store/notice-store';
import type { SearchIndexStore } from '../store/search-index-store';
import type { NoticeActivity } from './notice-activity';
import type { CategoryCatalog } from './notice-categories';
import {
  ALL_TERM,
  categoryTerm,
  matchesText,
  normalizeText,
  noticeTerms,
  queryGrams,
  textTerm,
  urgencyTerm,
  type Term,
} from './notice-search-terms';

/** Notices examined per group per script call: a walk longer than this goes on in another call. */
const EXAMINE_BUDGET = 5000;
/** `sort=hot` ranks among the newest this many matches of each group the caller may search. */
export const HOT_CANDIDATES = 1000;
const VERIFY_CHUNK = 50; // hot candidates verified at once, best first

export type SearchSort = 'new' | 'hot';

export interface SearchQuery {
  q?: string;
  category?: string;
  urgency?: Urgency;
  group?: string;
  sort: SearchSort;
  cursor?: string; // new: the last member of the previous page; hot: how many came before
  limit: number;
}

export interface SearchHit {
  notice: Notice;
  hot: number | null; // the hot score (sort=hot), null for sort=new
}

export interface SearchPage {
  items: SearchHit[];
  nextCursor: string | null;
}

/** Where a caller may search: the groups they belong to, and whether they manage each. */
export interface SearchScopes {
  allGroupIdsOf(openid: string): Promise<{ member: string[]; owned: string[] }>;
  memberships(openid: string, groupIds: readonly string[]): Promise<(Member | null)[]>;
}

interface Scope {
  groupId: string;
  manages: boolean;
}

interface Candidate {
  member: string;
  id: string;
  via: Set<string>; // the groups whose index returned it
}

/**
 * Notice search (docs/architecture.md#notice-search): `GET /api/notices?q=&category=&urgency=&group=&sort=`.
 * Every notice is indexed per group it addresses, under its characters and character pairs, its
 * category and its urgency (src/store/search-index-store.ts), when it is created or edited, and
 * unindexed when it is cancelled or retracted. A query walks, in each group of the caller, the
 * rarest of its terms newest first, keeps the notices under all of them, and then decides each
 * candidate on the notice itself: the caller may see it (a manager of one of its groups, or a
 * recipient once published) and its title or body really holds the query. State is in Redis
 * only, so an index written by one instance is searched by every other.
 */
export class NoticeSearch {
  constructor(
    private readonly deps: {
      index: SearchIndexStore;
      store: Pick<NoticeStore, 'getMany'>;
      recipients: Pick<NoticeRecipientStore, 'recipient'>;
      groups: SearchScopes;
      activity: Pick<NoticeActivity, 'scores'>;
      categories: CategoryCatalog;
    },
  ) {}

  // ---- the index (called by NoticeService on create, edit, cancel and retract) ---------------

  /** Indexes the notice as it is now in each group it addresses (and out of those it no longer does). */
  async index(notice: Notice, before?: Pick<Notice, 'audience'>): Promise<void> {
    const { index } = this.deps;
    const member = inboxMember(notice.publishedAt ?? notice.publishAt, notice.id);
    const terms = noticeTerms(notice);
    const left = (before?.audience.groups ?? []).filter((g) => !notice.audience.groups.includes(g));
    await Promise.all([
      ...notice.audience.groups.map((g) => index.put(g, notice.id, member, terms)),
      ...left.map((g) => index.put(g, notice.id, null, [])),
    ]);
  }

  /** Takes the notice out of the index of every group it addresses. */
  async unindex(notice: Pick<Notice, 'id' | 'audience'>): Promise<void> {
    await Promise.all(notice.audience.groups.map((g) => this.deps.index.put(g, notice.id, null, [])));
  }

  /** Takes every notice out of a deleted group's index, so that none of its keys stays behind. */
  async forgetGroup(groupId: string): Promise<void> {
    const { index } = this.deps;
    for (;;) {
      const members = await index.first(groupId, ALL_TERM, 200);
      if (members.length === 0) return;
      await Promise.all(members.map((m) => index.put(groupId, noticeOfInboxMember(m), null, [])));
      // A member whose doc was lost would come back at every turn: out of `all`, the loop ends.
      await index.drop(groupId, ALL_TERM, members);
    }
  }

  // ---- the query ------------------------------------------------------------------------------

  async search(openid: string, query: SearchQuery): Promise<SearchPage> {
    this.knownCategory(query.category);
    let scopes = await this.scopesOf(openid);
    if (query.group !== undefined) scopes = scopes.filter((s) => s.groupId === query.group);
    if (scopes.length === 0) return { items: [], nextCursor: null };
    const text = query.q === undefined ? null : normalizeText(query.q);
    const terms: Term[] = [
      ...(text === null ? [] : queryGrams(text).map(textTerm)),
      ...(query.category !== undefined ? [categoryTerm(query.category)] : []),
      ...(query.urgency !== undefined ? [urgencyTerm(query.urgency)] : []),
    ];
    if (terms.length === 0) terms.push(ALL_TERM);
    const check = (c: Candidate[]) => this.verify(openid, c, scopes, text, query);
    return query.sort === 'hot'
      ? this.hottest(scopes, terms, query, check)
      : this.newest(scopes, terms, query, check);
  }

  /**
   * Newest first: the groups' walks are merged, and a candidate is decided once every group still
   * walking has gone past it (so no older page can hold a newer notice).
   */
  private async newest(
    scopes: Scope[],
    terms: Term[],
    query: SearchQuery,
    check: (c: Candidate[]) => Promise<Notice[]>,
  ): Promise<SearchPage> {
    const walks = scopes.map((s) => ({ groupId: s.groupId, cursor: query.cursor ?? '', done: false }));
    const pool = new Map<string, Candidate>();
    const found: Notice[] = [];
    while (found.length < query.limit) {
      const live = walks.filter((w) => !w.done);
      if (live.length === 0 && pool.size === 0) break;
      if (live.length > 0) {
        const answers = await this.deps.index.match(live, terms, query.limit + 1, EXAMINE_BUDGET);
        live.forEach((walk, i) => {
          const answer = answers[i]!;
          walk.done = answer.done;
          if (answer.last) walk.cursor = answer.last;
          for (const member of answer.members) addCandidate(pool, member, walk.groupId);
        });
      }
      const frontier = walks.reduce((max, w) => (!w.done && w.cursor > max ? w.cursor : max), '');
      const ready = [...pool.values()]
        .filter((c) => c.member >= frontier)
        .sort((a, b) => (a.member < b.member ? 1 : -1));
      // Decided in order, a few more than the page still needs at a time: most pages need one step.
      let next = 0;
      while (next < ready.length && found.length <= query.limit) {
        const chunk = ready.slice(next, next + query.limit - found.length + 4);
        next += chunk.length;
        for (const c of chunk) pool.delete(c.member);
        found.push(...(await check(chunk)));
      }
    }
    const items = found.slice(0, query.limit);
    const more = found.length > query.limit || pool.size > 0 || walks.some((w) => !w.done);
    const last = items[items.length - 1];
    return {
      items: items.map((notice) => ({ notice, hot: null })),
      nextCursor: more && last ? memberOf(last) : null,
    };
  }

  /** Hot: the newest HOT_CANDIDATES matches of each group, best score first; the cursor counts. */
  private async hottest(
    scopes: Scope[],
    terms: Term[],
    query: SearchQuery,
    check: (c: Candidate[]) => Promise<Notice[]>,
  ): Promise<SearchPage> {
    const pool = new Map<string, Candidate>();
    const walks = scopes.map((s) => ({ groupId: s.groupId, cursor: '', done: false, taken: 0 }));
    for (;;) {
      const live = walks.filter((w) => !w.done && w.taken < HOT_CANDIDATES);
      if (live.length === 0) break;
      const answers = await this.deps.index.match(live, terms, HOT_CANDIDATES, EXAMINE_BUDGET);
      live.forEach((walk, i) => {
        const answer = answers[i]!;
        walk.done = answer.done;
        if (answer.last) walk.cursor = answer.last;
        walk.taken += answer.members.length;
        for (const member of answer.members) addCandidate(pool, member, walk.groupId);
      });
    }
    const candidates = [...pool.values()];
    const scores = await this.deps.activity.scores(candidates.map((c) => c.id));
    const scored = candidates
      .map((c, i) => ({ c, score: scores[i] ?? 0 }))
      .sort((a, b) => b.score - a.score || (a.c.member < b.c.member ? 1 : -1));
    const scoreOf = new Map(scored.map(({ c, score }) => [c.id, score]));
    const skip = Number(query.cursor ?? 0);
    const visible: Notice[] = [];
    let next = 0;
    // Decided best first, a chunk at a time, until the page and one more are known.
    while (next < scored.length && visible.length <= skip + query.limit) {
      const chunk = scored.slice(next, next + VERIFY_CHUNK).map(({ c }) => c);
      next += chunk.length;
      visible.push(...(await check(chunk)));
    }
    const items = visible.slice(skip, skip + query.limit);
    return {
      items: items.map((notice) => ({ notice, hot: scoreOf.get(notice.id) ?? 0 })),
      nextCursor: visible.length > skip + query.limit ? String(skip + query.limit) : null,
    };
  }

  /**
   * The candidates the caller may see and that really match, in the order given. A candidate
   * whose notice is gone, or no longer addresses a group that returned it, is unindexed there.
   */
  private async verify(
    openid: string,
    candidates: Candidate[],
    scopes: Scope[],
    text: string | null,
    query: SearchQuery,
  ): Promise<Notice[]> {
    if (candidates.length === 0) return [];
    const managed = new Set(scopes.filter((s) => s.manages).map((s) => s.groupId));
    const [notices, recipients] = await Promise.all([
      this.deps.store.getMany(candidates.map((c) => c.id)),
      Promise.all(
        candidates.map((c) =>
          [...c.via].some((g) => managed.has(g)) ? null : this.deps.recipients.recipient(c.id, openid),
        ),
      ),
    ]);
    const out: Notice[] = [];
    const stale: Promise<void>[] = [];
    candidates.forEach((c, i) => {
      const notice = notices[i];
      const gone = !notice || notice.status === 'retracted' || notice.status === 'cancelled';
      for (const g of c.via) {
        if (gone || !notice.audience.groups.includes(g)) stale.push(this.deps.index.put(g, c.id, null, []));
      }
      if (gone) return;
      const manages = notice.audience.groups.some((g) => managed.has(g));
      const receives = recipients[i] !== null && recipients[i] !== undefined;
      const published = notice.status === 'published' || notice.status === 'publishing';
      if (!manages && !(receives && published)) return;
      if (text !== null && !matchesText(notice, text)) return;
      if (query.category !== undefined && notice.category !== query.category) return;
      if (query.urgency !== undefined && notice.urgency !== query.urgency) return;
      out.push(notice);
    });
    await Promise.all(stale);
    return out;
  }

  private async scopesOf(openid: string): Promise<Scope[]> {
    const { member, owned } = await this.deps.groups.allGroupIdsOf(openid);
    const ids = [...new Set([...member, ...owned])];
    const memberships = await this.deps.groups.memberships(openid, ids);
    return ids.flatMap((groupId, i) => {
      const m = memberships[i];
      return m ? [{ groupId, manages: isManagerRole(m.role) }] : [];
    });
  }

  private knownCategory(category: string | undefined): void {
    if (category !== undefined && !this.deps.categories.has(category)) {
      const known = [...this.deps.categories.keys()].join(', ');
      throw invalidRequest([{ path: 'category', message: `is not a category (known: ${known})` }]);
    }
  }
}

function addCandidate(pool: Map<string, Candidate>, member: string, groupId: string): void {
  const known = pool.get(member);
  if (known) known.via.add(groupId);
  else pool.set(member, { member, id: noticeOfInboxMember(member), via: new Set([groupId]) });
}

function memberOf(notice: Notice): string {
  return inboxMember(notice.publishedAt ?? notice.publishAt, notice.id);
}
