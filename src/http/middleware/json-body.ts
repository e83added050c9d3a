import type { Next } from 'koa';
import { bodyNotJson, bodyNotObject, invalidRequest, unsupportedMediaType } from '../../errors';
import { hasBody, readBodyText } from '../body-reader';
import type { AppContext } from '../context';

export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Parses JSON bodies up to 64 KiB onto ctx.state.body: 413 past it, 400 when malformed, 415 when a
 * body is sent with another content type, coding or charset (body-reader.ts). Handlers never read
 * the raw body: validate() takes it from here.
 */
export function jsonBody(options: { except?: string[] } = {}) {
  const except = new Set(options.except ?? []);
  return async function jsonBodyMiddleware(ctx: AppContext, next: Next): Promise<void> {
    // Routes that take other formats (the WeChat push URL takes XML) parse their own bodies.
    if (except.has(ctx.path)) return next();
    if (!hasBody(ctx)) {
      ctx.state.body = {};
      return next();
    }
    if (!isJson(ctx)) throw unsupportedMediaType();
    ctx.state.body = parseJsonObject(await readBodyText(ctx, { limit: BODY_LIMIT_BYTES }));
    await next();
  };
}

/** The common spelling first (no media-type parse per request), then every other JSON type. */
function isJson(ctx: AppContext): boolean {
  const type = ctx.get('Content-Type');
  return (
    type === 'application/json' ||
    type === 'application/json; charset=utf-8' ||
    !!ctx.is('application/json', '+json')
  );
}

/**
 * JSON text → the object or array it holds (an empty body is `{}`). A `__proto__` key is refused
 * by name: JSON.parse keeps it as an own property, but most code that copies objects (joi among
 * them) treats it as the prototype and drops it, so it would vanish without a word.
 */
export function parseJsonObject(text: string): unknown {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bodyNotJson();
  }
  if (typeof value !== 'object' || value === null) {
    throw bodyNotObject();
  }
  // A key spells __proto__ in the text, or hides it in \u escapes: any other body has none.
  const poisoned = text.includes('__proto__') || text.includes('\\u') ? protoKeyPaths(value) : [];
  if (poisoned.length > 0) {
    throw invalidRequest(
      poisoned.map((path) => ({ path, message: `${path} is not allowed: __proto__ is not a field name` })),
    );
  }
  return value;
}

interface Node {
  value: object;
  key: string;
  parent: Node | undefined;
}

function pathOf(node: Node | undefined, key: string): string {
  const keys = [key];
  for (let n = node; n?.parent; n = n.parent) keys.push(n.key);
  return keys.reverse().join('.');
}

/**
 * Paths of the first `__proto__` keys, walked without recursion (a 64 KiB body nests 30,000
 * deep); paths are only spelled out for what is found.
 */
function protoKeyPaths(root: object): string[] {
  const found: string[] = [];
  const stack: Node[] = [{ value: root, key: '', parent: undefined }];
  for (let node = stack.pop(); node && found.length < 10; node = stack.pop()) {
    for (const key of Object.keys(node.value)) {
      if (key === '__proto__') {
        found.push(pathOf(node, key));
        continue;
      }
      const child = (node.value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) stack.push({ value: child, key, parent: node });
    }
  }
  return found;
}
