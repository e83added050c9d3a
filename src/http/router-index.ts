import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AppState } from './context';

/**
 * The routes of every router, matched by resource: a request is tried against the routes under
 * its path's first two segments (`/api/reminders` for `/api/reminders/42/done`) rather than
 * against all of them, one regular expression each (some ninety, a few percent of a request's
 * CPU). A router with a route whose first two segments are not plain text goes with every
 * resource; a path of no known resource is tried against all routes, as one router would.
 * Answers, 404s, 405s and `Allow` headers are those of one router holding every route.
 */
export function routeByResource(routers: Router<AppState>[]): Middleware<AppState> {
  const everywhere = routers.filter((r) => resourcesOf(r) === null);
  const byResource = new Map<string, Router<AppState>[]>();
  for (const router of routers) {
    for (const resource of resourcesOf(router) ?? []) {
      const list = byResource.get(resource) ?? [];
      if (!list.includes(router)) list.push(router);
      byResource.set(resource, list);
    }
  }
  const dispatchers = new Map<string, Middleware<AppState>>();
  for (const [resource, list] of byResource) dispatchers.set(resource, combined([...list, ...everywhere]));
  const all = combined(routers);
  const middleware = function routeByResourceMiddleware(ctx, next) {
    const dispatch = dispatchers.get(resourceOf(ctx.path)) ?? all;
    return dispatch(ctx, next);
  } as Middleware<AppState> & { router?: Router<AppState> };
  // The router holding every route, where @koa/router's own mounted middleware carries it (the
  // route listings of the docs' tests read it).
  middleware.router = all.router;
  return middleware;
}

/** `/api/reminders` of `/api/reminders/42`; '' for a path with fewer segments. */
function resourceOf(path: string): string {
  const second = path.indexOf('/', 1);
  if (second < 0) return '';
  const third = path.indexOf('/', second + 1);
  return third < 0 ? path : path.slice(0, third);
}

/** The resources a router's routes live under, or null if one of them may match any path. */
function resourcesOf(router: Router<AppState>): Set<string> | null {
  const resources = new Set<string>();
  for (const layer of router.stack) {
    const path = layer.path;
    if (typeof path !== 'string') return null;
    const segments = path.split('/');
    // '', 'api', 'reminders', …: the two named ones must be plain text, and a route must have them.
    if (segments.length < 3 || segments[0] !== '') return null;
    const named = segments.slice(1, 3);
    if (named.some((s) => s === '' || /[:()*?+{}[\]\\]/.test(s))) return null;
    resources.add(`/${named.join('/')}`);
  }
  return resources;
}

function combined(routers: Router<AppState>[]): Middleware<AppState> & { router: Router<AppState> } {
  const root = new Router<AppState>();
  for (const router of routers) root.use(router.routes());
  // The router's middleware take Koa's context with the router's fields, which they add themselves.
  const routes = root.routes() as unknown as Middleware<AppState>;
  const allowed = root.allowedMethods() as unknown as Middleware<AppState>;
  const dispatch: Middleware<AppState> = (ctx, next) => routes(ctx, () => allowed(ctx, next));
  return Object.assign(dispatch, { router: root });
}
