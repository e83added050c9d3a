import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { WeChatApiError, WeChatTransportError } from './errors';

/**
 * `cgi-bin/message/custom/send` and `cgi-bin/media/upload` (docs/wechat.md#customer-service-messages):
 * the customer-service side of WeChat's API, in a client of its own beside WeChatClient (its own
 * keep-alive pool, the same error types). It holds no token: the TokenManager passes one in.
 */

/** One message for custom/send, in WeChat's own field names. */
export type CustomMessage =
  | { touser: string; msgtype: 'text'; text: { content: string } }
  | { touser: string; msgtype: 'image'; image: { media_id: string } }
  | {
      touser: string;
      msgtype: 'link';
      link: { title: string; description: string; url: string; thumb_url: string };
    }
  | {
      touser: string;
      msgtype: 'miniprogrampage';
      miniprogrampage: { title: string; pagepath: string; thumb_media_id: string };
    };

export interface UploadedMedia {
  mediaId: string;
  createdAt: number; // epoch ms, from WeChat's created_at (seconds)
}

export interface CustomMessageClientOptions {
  apiBase: string; // e.g. https://api.weixin.qq.com, or the sandbox's loopback URL
  timeoutMs?: number; // per request, default 5000
  connections?: number; // keep-alive connections, default 16
}

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export class CustomMessageClient {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(options: CustomMessageClientOptions) {
    const base = new URL(options.apiBase);
    const timeout = options.timeoutMs ?? 5000;
    this.path = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: options.connections ?? 16,
      connect: { timeout },
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  /** Sends one customer-service message; WeChat answers only `{errcode: 0, errmsg: "ok"}`. */
  async send(accessToken: string, message: CustomMessage): Promise<void> {
    await this.call(
      'custom/send',
      `/cgi-bin/message/custom/send?access_token=${encodeURIComponent(accessToken)}`,
      {
        'content-type': 'application/json',
      },
      JSON.stringify(message),
    );
  }

  /** Uploads an image as temporary media (multipart `media`); its media_id lives 3 days. */
  async uploadImage(
    accessToken: string,
    image: { bytes: Buffer; filename: string; contentType: string },
  ): Promise<UploadedMedia> {
    const boundary = `----tixing${randomBytes(12).toString('hex')}`;
    const filename = image.filename.replace(/["\r\n]/g, '_');
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="media"; filename="${filename}"\r\n` +
          `Content-Type: ${image.contentType}\r\n\r\n`,
      ),
      image.bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const answer = await this.call(
      'media/upload',
      `/cgi-bin/media/upload?access_token=${encodeURIComponent(accessToken)}&type=image`,
      { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    );
    const mediaId = answer.media_id;
    if (typeof mediaId !== 'string' || mediaId === '') {
      throw new WeChatTransportError('WeChat media/upload answered without media_id', 'media/upload');
    }
    const created = Number(answer.created_at);
    return { mediaId, createdAt: Number.isFinite(created) && created > 0 ? created * 1000 : Date.now() };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async call(
    api: string,
    path: string,
    headers: Record<string, string>,
    body: string | Buffer,
  ): Promise<Record<string, unknown>> {
    let status: number;
    let text: string;
    try {
      const response = await this.pool.request({ method: 'POST', path: this.path + path, headers, body });
      status = response.statusCode;
      text = await response.body.text();
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'network error';
      const timeout = TIMEOUTS.has(code);
      // Keep only the code: the request's path holds the access_token.
      throw new WeChatTransportError(
        timeout ? `WeChat ${api} timed out` : `WeChat ${api} unreachable (${code})`,
        api,
        undefined,
        { timeout, cause: new Error(code) },
      );
    }
    if (status >= 300) throw new WeChatTransportError(`WeChat ${api} answered HTTP ${status}`, api, status);
    const answer = parseObject(text);
    if (!answer) throw new WeChatTransportError(`WeChat ${api} answered something that is not JSON`, api);
    const errcode = Number(answer.errcode ?? 0);
    if (errcode !== 0) throw new WeChatApiError(errcode, String(answer.errmsg ?? ''), api);
    return answer;
  }
}

/** WeChat's JSON answer (whatever its content type says), or undefined; these answers carry no long ids. */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
