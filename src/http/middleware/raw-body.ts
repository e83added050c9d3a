import type { Next } from 'koa';
import { unsupportedMediaType } from '../../errors';
import { readBodyText } from '../body-reader';
import type { AppContext } from '../context';

export interface RawBodyOptions {
  limit: number; // bytes, as sent and as decoded; larger bodies are refused with 413 without being buffered
  types: string[]; // accepted content types (ctx.is() patterns); others are a 415
}

/**
 * Reads the body as UTF-8 text onto ctx.state.rawBody, for routes that must see the exact bytes
 * (signatures) or parse a format of their own (WeChat's XML). The app's JSON parser skips them;
 * codings, charsets, sizes and broken bodies are refused as for JSON (body-reader.ts).
 */
export function rawBody(options: RawBodyOptions) {
  return async function rawBodyMiddleware(ctx: AppContext, next: Next): Promise<void> {
    if (!ctx.is(options.types)) throw unsupportedMediaType(options.types.join(' or '));
    ctx.state.rawBody = await readBodyText(ctx, { limit: options.limit });
    await next();
  };
}

/** The text rawBody() read; calling it on a route without rawBody() is a programming error. */
export function rawBodyOf(ctx: AppContext): string {
  const text = ctx.state.rawBody;
  if (typeof text !== 'string') throw new Error('route is missing rawBody()');
  return text;
}
