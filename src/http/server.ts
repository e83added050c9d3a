import http from 'node:http';
import type { Duplex } from 'node:stream';
import { headersTooLarge, malformedRequest, requestTimeout, type AppError } from '../errors';

/**
 * How long a client may take, in milliseconds. Node's defaults let a body trickle in for 300 s,
 * so a few hundred slow clients could hold every socket. A phone on a poor mobile link sends
 * its headers in well under a second and a 64 KiB body (the largest accepted) within a few:
 * these bounds leave it ample room and cut off anything slower.
 */
export interface HttpTimeouts {
  headersTimeoutMs?: number; // from connection (or the end of the last request) to the end of the headers, default 20 s
  requestTimeoutMs?: number; // for the whole request, body included, default 30 s
  keepAliveTimeoutMs?: number; // an idle kept-alive connection, default 65 s: longer than the 60 s of common load balancers, so they close first
  checkIntervalMs?: number; // how often the first two are checked, default 1 s (Node's is 30 s, which would add to them)
}

export const DEFAULT_HTTP_TIMEOUTS: Required<HttpTimeouts> = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  checkIntervalMs: 1_000,
};

/** The HTTP server of an app, with the request timeouts above (Node answers 408 and closes). */
export function createHttpServer(
  app: { callback(): http.RequestListener },
  timeouts: HttpTimeouts = {},
): http.Server {
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...timeouts };
  const server = http.createServer(
    {
      headersTimeout: Math.min(t.headersTimeoutMs, t.requestTimeoutMs), // Node requires ≤ requestTimeout
      requestTimeout: t.requestTimeoutMs,
      connectionsCheckingInterval: t.checkIntervalMs,
    },
    app.callback(),
  );
  server.keepAliveTimeout = t.keepAliveTimeoutMs;
  server.on('clientError', answerClientError);
  return server;
}

/**
 * What Node's parser refuses, or a client too slow for the timeouts, is answered in the envelope
 * (docs/architecture.md#input-rules) like any other 4xx (Node's own answer is a bare status line),
 * then the connection is closed. A connection that is gone, or already has an answer under way, is
 * only closed.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // Node's own check (lib/_http_server.js): the response of the request being read, if any.
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const error: AppError =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? requestTimeout()
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? headersTooLarge()
        : malformedRequest();
  const body = JSON.stringify({ errcode: error.errcode, errmsg: error.message });
  socket.end(
    `HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
