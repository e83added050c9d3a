import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json:
    | { errcode?: number; errmsg?: string; details?: { path: string; message: string }[]; data?: unknown }
    | undefined;
}

/** One request with exactly these headers and bytes (no client library re-encoding anything). */
export function send(
  port: number,
  r: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
  agent?: http.Agent,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, agent: agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: RawAnswer['json'];
          try {
            json = res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** The query of a fresh plain-mode push for `token`: signature over token, timestamp and a new nonce. */
export function pushQuery(token: string): string {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString('hex');
  const signature = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
  return `signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`;
}
