import { noticePage, type NoticeStatus, type Urgency } from '../../domain/notice';
import type { SearchPage } from '../../services/notice-search';

/** One hit of `GET /api/notices`: what a result list shows; the detail page loads the notice. */
export interface SearchHitView {
  id: string;
  title: string;
  excerpt: string; // the body's first 60 characters
  category: string;
  urgency: Urgency;
  publisher: string;
  groups: { id: string; name: string }[];
  status: NoticeStatus; // recipients only ever find published ones; managers also scheduled ones
  publishAt: string;
  publishedAt: string | null;
  page: string; // pages/notice/detail?id=<id>
  hot: number | null; // sort=hot: reads + 2 × confirms + 3 × comments of the last 7 days; else null
}

export interface SearchPageView {
  items: SearchHitView[];
  nextCursor: string | null; // pass back as `cursor` (with the same query) for the next page; null on the last
}

export function presentSearch(page: SearchPage): SearchPageView {
  return {
    items: page.items.map(({ notice: n, hot }) => ({
      id: n.id,
      title: n.title,
      excerpt: [...n.body].slice(0, 60).join(''),
      category: n.category,
      urgency: n.urgency,
      publisher: n.publisher,
      groups: n.audience.groups.map((id) => ({ id, name: n.groupNames[id] ?? '' })),
      status: n.status,
      publishAt: new Date(n.publishAt).toISOString(),
      publishedAt: n.publishedAt === null ? null : new Date(n.publishedAt).toISOString(),
      page: noticePage(n.id),
      hot,
    })),
    nextCursor: page.nextCursor,
  };
}
