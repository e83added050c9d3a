import type { Transform } from 'node:stream';
import { createBrotliDecompress, createUnzip } from 'node:zlib';
import {
  bodyAborted,
  bodyNotUtf8,
  bodyTooLarge,
  bodyUndecodable,
  charsetNotUtf8,
  severalEncodings,
  unknownEncoding,
  type PayloadTooLargeError,
} from '../errors';
import type { AppContext } from './context';

/**
 * The codings the API accepts (docs/architecture.md#input-rules); `x-gzip` is gzip's old name
 * (RFC 9110 §8.4.1.3).
 */
const DECODERS: Record<string, () => Transform> = {
  gzip: () => createUnzip(),
  'x-gzip': () => createUnzip(),
  // createUnzip reads zlib-wrapped deflate (what HTTP's "deflate" means) as well as gzip.
  deflate: () => createUnzip(),
  br: () => createBrotliDecompress(),
};

// fatal: a body that is not UTF-8 is refused, not silently mended with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ReadOptions {
  limit: number; // bytes, both as sent and once decoded; past it a 413 without reading further
}

/** True when the request announces a body (a length other than 0, or chunked). */
export function hasBody(ctx: AppContext): boolean {
  const length = ctx.get('Content-Length');
  return (length !== '' && length !== '0') || ctx.get('Transfer-Encoding') !== '';
}

/**
 * The one coding the body is sent in: `identity`, or one of DECODERS. A stack of codings
 * (`gzip, gzip`) or an unknown one is a 415: nothing a client of this API needs, and each layer
 * would multiply what a small body expands to.
 */
function codingOf(ctx: AppContext): string {
  const codings = ctx
    .get('Content-Encoding')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return 'identity';
  if (codings.length > 1) throw severalEncodings();
  const [coding = ''] = codings;
  if (!(coding in DECODERS)) throw unknownEncoding();
  return coding;
}

/** The charset of the Content-Type must be UTF-8 when named (JSON is UTF-8, RFC 8259 §8.1). */
function checkCharset(ctx: AppContext): void {
  const charset = ctx.request.charset.toLowerCase();
  if (charset !== '' && charset !== 'utf-8' && charset !== 'utf8') {
    throw charsetNotUtf8();
  }
}

function tooLarge(ctx: AppContext, limit: number): PayloadTooLargeError {
  // The rest of the body stays unread: close the connection after the 413 rather than read it.
  ctx.set('Connection', 'close');
  return bodyTooLarge(limit);
}

/**
 * Reads the request body as UTF-8 text, decoding its Content-Encoding, for the JSON parser and the
 * routes that parse their own formats. Every way a body can be wrong is a 4xx: an unknown coding
 * or charset 415, bytes that do not decode (garbage, truncated) or are not UTF-8 400, more than
 * `limit` bytes as sent or as decoded (a compression bomb) 413, stopped at the limit.
 */
export async function readBodyText(ctx: AppContext, options: ReadOptions): Promise<string> {
  const coding = codingOf(ctx);
  checkCharset(ctx);
  // Refuse early on the declared length; the count while reading covers chunked bodies.
  if (Number(ctx.get('Content-Length')) > options.limit) throw tooLarge(ctx, options.limit);
  const bytes = await read(ctx, coding, options.limit);
  try {
    return utf8.decode(bytes);
  } catch {
    throw bodyNotUtf8();
  }
}

// Node's own listener type (any arguments), as EventEmitter.on takes it.
type Listener = Parameters<NodeJS.EventEmitter['on']>[1];

function read(ctx: AppContext, coding: string, limit: number): Promise<Buffer> {
  const req = ctx.req;
  const decoder = DECODERS[coding]?.();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let decoded = 0;
    let settled = false;
    const cleanup = () => {
      for (const [event, listener] of reqListeners) req.off(event, listener);
      if (decoder) {
        for (const [event, listener] of decoderListeners) decoder.off(event, listener);
        // Errors after the answer are of no interest; without a listener they would throw.
        decoder.on('error', () => undefined);
        decoder.destroy();
      }
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      req.pause();
      reject(err);
    };
    const onDone = () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(Buffer.concat(chunks, decoded));
    };
    const onDecoded = (chunk: Buffer) => {
      decoded += chunk.length;
      if (decoded > limit) return fail(tooLarge(ctx, limit));
      chunks.push(chunk);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return fail(tooLarge(ctx, limit));
      if (decoder) decoder.write(chunk);
      else onDecoded(chunk);
    };
    const onEnd = () => (decoder ? decoder.end() : onDone());
    const onBadCoding = () => fail(bodyUndecodable(coding));
    const onAborted = () => fail(bodyAborted());
    const onClose = () => {
      if (!req.complete) onAborted();
    };
    const reqListeners: [string, Listener][] = [
      ['data', onData],
      ['end', onEnd],
      ['error', onAborted],
      ['aborted', onAborted],
      ['close', onClose],
    ];
    const decoderListeners: [string, Listener][] = [
      ['data', onDecoded],
      ['end', onDone],
      ['error', onBadCoding],
    ];
    for (const [event, listener] of reqListeners) req.on(event, listener);
    if (decoder) for (const [event, listener] of decoderListeners) decoder.on(event, listener);
  });
}
