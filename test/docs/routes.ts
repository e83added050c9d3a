import type Koa from 'koa';

export interface Route {
  method: string; // upper case: GET, POST, …
  path: string; // OpenAPI style: /api/reminders/{id}
}

/** The parts of @koa/router this module reads (its Router and Layer classes, structurally). */
interface RouterLike {
  stack: { methods: string[]; path: string | RegExp }[];
}

/**
 * Every route a Koa app serves through @koa/router. createApp() keeps its routers private, but its
 * routing middleware (src/http/router-index.ts) carries the router holding every route as
 * `.router`, as `root.routes()` does (the property @koa/router itself uses to mount nested routers); routers mounted with `root.use(r.routes())`
 * are flattened into the root's stack with their prefixes. HEAD, which @koa/router adds to every
 * GET, is left out. Routes served by plain middleware (no router) cannot be listed this way.
 */
export function listRoutes(app: Pick<Koa, 'middleware'>): Route[] {
  const routes = new Map<string, Route>();
  for (const middleware of app.middleware) {
    const router = (middleware as { router?: RouterLike }).router;
    if (!router) continue;
    for (const layer of router.stack) {
      if (layer.methods.length === 0) continue; // router.use() middleware, not a route
      if (typeof layer.path !== 'string')
        throw new Error(`a route with a RegExp path: ${String(layer.path)}`);
      const path = toOpenApiPath(layer.path);
      for (const method of layer.methods) {
        if (method === 'HEAD' && layer.methods.includes('GET')) continue;
        routes.set(`${method} ${path}`, { method, path });
      }
    }
  }
  return [...routes.values()].sort(compareRoutes);
}

/** `/api/reminders/:id` → `/api/reminders/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

export function compareRoutes(a: Route, b: Route): number {
  return a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path);
}

export const routeName = (r: Route) => `${r.method} ${r.path}`;
