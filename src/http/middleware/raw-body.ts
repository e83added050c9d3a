import type { Next } from 'koa';
import { AppError, MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors';
import type { AppContext } from '../context';

export interface RawBodyOptions {
  limit: number; // bytes; larger bodies are refused with 413 without being buffered
  types: string[]; // accepted content types (ctx.is() patterns); others are a 415
}

// fatal: a body that is not UTF-8 is refused, not silently mended with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads the body as UTF-8 text onto ctx.request.rawBody, for routes that must see the exact bytes
 * (signatures) or parse a format of their own (WeChat's XML). The app's JSON parser skips them.
 */
export function rawBody(options: RawBodyOptions) {
  const limitText = `${Math.round(options.limit / 1024)} KiB`;
  return async function rawBodyMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const encoding = ctx.get('Content-Encoding');
    if (encoding && encoding.toLowerCase() !== 'identity')
      throw new AppError(415, 41502, 'unsupported body encoding');
    if (!ctx.is(options.types)) throw new UnsupportedMediaTypeError(options.types.join(' or '));
    // Refuse early on the declared length; the count while reading covers chunked bodies.
    if (Number(ctx.get('Content-Length')) > options.limit) throw tooLarge(ctx, limitText);
    const bytes = await readLimited(ctx, options.limit, limitText);
    try {
      ctx.request.rawBody = utf8.decode(bytes);
    } catch {
      throw new MalformedBodyError('the body is not valid UTF-8');
    }
    await next();
  };
}

/** The text rawBody() read; calling it on a route without rawBody() is a programming error. */
export function rawBodyOf(ctx: AppContext): string {
  const text = ctx.request.rawBody;
  if (typeof text !== 'string') throw new Error('route is missing rawBody()');
  return text;
}

function tooLarge(ctx: AppContext, limitText: string): PayloadTooLargeError {
  // The rest of the body stays unread: close the connection after the 413 rather than read it.
  ctx.set('Connection', 'close');
  return new PayloadTooLargeError(limitText);
}

function readLimited(ctx: AppContext, limit: number, limitText: string): Promise<Buffer> {
  const req = ctx.req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(ctx, limitText));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => {
      cleanup();
      reject(new MalformedBodyError('the request was aborted before its body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
