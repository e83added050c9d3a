import Router from '@koa/router';
import Joi from 'joi';
import { URGENCIES, type Urgency } from '../../domain/notice';
import type { NoticeSearch, SearchQuery, SearchSort } from '../../services/notice-search';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentSearch } from '../presenters/search';
import { text, typedObject, withDefault } from '../schemas';

const SORTS: SearchSort[] = ['new', 'hot'];

const searchQuery = typedObject<SearchQuery>({
  q: text().trim().min(1).max(50),
  category: text().trim().min(1).max(20),
  urgency: Joi.string<Urgency>().valid(...URGENCIES),
  group: Joi.string().pattern(/^\d{1,15}$/, 'a group id'),
  sort: withDefault(Joi.string<SearchSort>().valid(...SORTS), 'new'),
  // A nextCursor of the same query: sort=new's names a notice, sort=hot's counts the ones before.
  cursor: Joi.string().when('sort', {
    is: 'hot',
    then: Joi.string().pattern(/^\d{1,4}$/, 'a nextCursor of this list'),
    otherwise: Joi.string().pattern(/^\d{13}:\d{15}$/, 'a nextCursor of this list'),
  }),
  limit: withDefault(Joi.number().integer().min(1).max(50), 20),
});

/** Notice search (docs/architecture.md#notice-search) over the notices the caller may see. */
export function searchRoutes(deps: { search: NoticeSearch; auth: Auth }): Router<AppState> {
  const { search, auth } = deps;
  const router = new Router<AppState>();

  const searching = validate({ query: searchQuery });
  router.get('/api/notices', auth(), searching, async (ctx: AppContext) => {
    const { query } = inputOf(ctx, searching);
    reply(ctx, presentSearch(await search.search(sessionOf(ctx).openid, query)));
  });

  return router;
}
