import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import Router from '@koa/router';
import { consoleFileNotFound } from '../errors';
import type { AppContext, AppState } from './context';

/**
 * What every console response carries: scripts and styles from this origin only (no inline
 * script, no eval), images from here or data: URLs (the sign-in QR), API calls to this origin,
 * and no framing (clickjacking).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};
// A built file's name: no folder, no dot-file; hashed names (`app-3KX7Q2ZB.js`) never change.
const FILE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.[a-z0-9]+$/;
const HASHED = /-[A-Z0-9]{8}\.[a-z0-9]+(\.map)?$/;

/**
 * Serves the web console's build (`dist/console`, written by `npm run build` from console/) at
 * `/console`: index.html for `/console` (the pages route by the URL's hash), and its files. The
 * folder is read on each request, so a build made after the start is served.
 */
export function consoleStaticRoutes(options: { dir: string }): Router<AppState> {
  const router = new Router<AppState>();
  const send = async (ctx: AppContext, name: string) => {
    const file = path.join(options.dir, name);
    const found = await stat(file).catch(() => null);
    if (!found?.isFile()) {
      const built = (await stat(path.join(options.dir, 'index.html')).catch(() => null)) !== null;
      throw consoleFileNotFound(built);
    }
    ctx.set('Content-Security-Policy', CONSOLE_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.type = TYPES[path.extname(name)] ?? 'application/octet-stream';
    ctx.body = await readFile(file);
  };
  router.get('/console', async (ctx: AppContext) => send(ctx, 'index.html'));
  router.get('/console/:file', async (ctx: AppContext) => {
    const name = ctx.params.file ?? '';
    if (!FILE.test(name)) throw consoleFileNotFound(true);
    await send(ctx, name);
  });
  return router;
}
