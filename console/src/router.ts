import { useEffect, useState } from 'preact/hooks';

/** The page's route: the URL's hash (`#/notices/12` → `/notices/12`), so the server serves one file. */
export function currentRoute(): string {
  const hash = window.location.hash.replace(/^#/, '').split('?')[0] ?? '';
  return hash.startsWith('/') ? hash : '/';
}

/** The hash's query: `#/notices/new?group=3` → `group=3`. */
export function routeQuery(): URLSearchParams {
  const hash = window.location.hash;
  const at = hash.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
}

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function navigate(route: string): void {
  window.location.hash = `#${route}`;
}

/** `match('/notices/:id', '/notices/12')` → `{ id: '12' }`, or null. */
export function match(pattern: string, route: string): Record<string, string> | null {
  const names: string[] = [];
  const source = pattern.replace(/:([a-z]+)/gi, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const found = new RegExp(`^${source}$`).exec(route);
  if (!found) return null;
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1] ?? '')]));
}
