import type { SearchPageView } from '../../src/http/presenters/search';
import { holdToDocument } from '../docs/openapi-doc';
import { data } from '../support/api-types';
import type { TestInstance } from '../support/harness';
import { api, type Person } from '../notices/notice-helpers';

/** The operations test/search/ holds to docs/openapi.yaml (every answer through search()). */
export const SEARCH_OPERATIONS = ['GET /api/notices'];

/** `GET /api/notices` as `who`, held to docs/openapi.yaml; the page. */
export async function search(
  t: TestInstance,
  who: Person,
  query: Record<string, string>,
): Promise<SearchPageView> {
  const res = await api(t).get('/api/notices').query(query).set(who.auth);
  holdToDocument('GET', '/api/notices', res);
  if (res.status !== 200) throw new Error(`search answered ${res.status} ${res.text}`);
  return data<SearchPageView>(res);
}

/** The titles a search finds, in order. */
export async function titles(t: TestInstance, who: Person, query: Record<string, string>): Promise<string[]> {
  return (await search(t, who, { limit: '50', ...query })).items.map((i) => i.title);
}
