/**
 * The sandbox's customer-service API (docs/wechat.md#customer-service-messages):
 * `cgi-bin/message/custom/send` with WeChat's window rules — a user's message allows 5 messages
 * within 48 h, entering the session 1 within 1 min, each action resetting the window to its own
 * maximum (45015 outside it, 45047 past its count) — and `cgi-bin/media/upload` for temporary
 * images (multipart `media`, a media_id that lives 3 days). The windows open when the sandbox's
 * push side (push-side.ts) delivers a user's message, as WeChat's do when a user writes.
 */
import { randomBytes } from 'node:crypto';
import type { FaultStep } from './faults';
import { looksLikeOpenId } from './openid';
import { rid } from './replies';
import type { ApiRequest, ApiState, Reply } from './wechat-api';

/** One message custom/send took, oldest first in `CustomService.sent`. */
export interface CustomSent {
  touser: string;
  msgtype: 'text' | 'image' | 'link' | 'miniprogrampage';
  text?: { content: string };
  image?: { media_id: string };
  link?: { title: string; description: string; url: string; thumb_url: string };
  miniprogrampage?: { title: string; pagepath: string; thumb_media_id: string };
  at: number; // sandbox clock, ms
}

/** One temporary image media/upload took. */
export interface UploadedMedia {
  mediaId: string;
  type: 'image';
  bytes: number;
  contentType: string;
  createdAt: number; // sandbox clock, ms
}

export interface CustomServiceStats {
  sendCalls: number; // custom/send calls, whatever their answer
  uploadCalls: number; // media/upload calls
}

const WINDOW_MESSAGES = 5;
const WINDOW_MESSAGE_MS = 48 * 3_600_000;
const WINDOW_SESSION_MS = 60_000;
const MEDIA_LIFETIME_MS = 3 * 86_400_000;
const TEXT_MAX_BYTES = 2048;
const MEDIA_MAX_BYTES = 10 * 1024 * 1024;

const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40003: 'invalid openid',
  40004: 'invalid media type',
  40005: 'invalid file type',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  41001: 'access_token missing',
  41005: 'media data missing',
  43002: 'require POST method',
  44002: 'empty post data',
  45002: 'content size out of limit',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  47001: 'data format error',
};

export class CustomService {
  /** Every message custom/send took, oldest first. */
  readonly sent: CustomSent[] = [];
  readonly media = new Map<string, UploadedMedia>();
  readonly stats: CustomServiceStats = { sendCalls: 0, uploadCalls: 0 };
  /** Scripted answers for custom/send, one per call before any check (as `faults.next` for subscribe/send). */
  readonly next: FaultStep[] = [];
  private readonly windows = new Map<string, { remaining: number; until: number }>();

  constructor(private readonly logger?: { info(obj: object, msg?: string): void }) {}

  reset(): void {
    this.sent.length = 0;
    this.media.clear();
    this.windows.clear();
    this.next.length = 0;
    Object.assign(this.stats, { sendCalls: 0, uploadCalls: 0 });
  }

  /** A user wrote (`message`) or entered the session (`session`): their window starts again. */
  openWindow(openid: string, kind: 'message' | 'session', now: number): void {
    this.windows.set(
      openid,
      kind === 'session'
        ? { remaining: 1, until: now + WINDOW_SESSION_MS }
        : { remaining: WINDOW_MESSAGES, until: now + WINDOW_MESSAGE_MS },
    );
  }

  /** POST /cgi-bin/message/custom/send */
  send(state: ApiState, req: ApiRequest): Reply {
    this.stats.sendCalls++;
    const fail = (errcode: number) => this.fail(state, errcode);
    const step = this.next.shift();
    if (step)
      return 'errcode' in step
        ? fail(step.errcode)
        : 'http' in step
          ? { status: step.http, body: `<html>${step.http}</html>`, contentType: 'text/html' }
          : { hang: true };
    if (req.method !== 'POST') return fail(43002);
    const token = req.url.searchParams.get('access_token');
    if (!token) return fail(41001);
    const verdict = state.tokens.verify(token);
    if (verdict !== 'ok') return fail(verdict);
    if (req.body.trim() === '') return fail(44002);
    const body = parseObject(req.body);
    if (!body) return fail(47001);
    if (!looksLikeOpenId(body.touser)) return fail(40003);
    const message = this.message(state, body);
    if (typeof message === 'number') return fail(message);
    const window = this.windows.get(body.touser);
    const now = state.now();
    if (!window || window.until <= now) return fail(45015);
    if (window.remaining < 1) return fail(45047);
    window.remaining--;
    const sent: CustomSent = { ...message, touser: body.touser, at: now };
    this.sent.push(sent);
    this.logger?.info({ ...sent }, 'wechat sandbox delivered a customer-service message');
    return { status: 200, body: JSON.stringify({ errcode: 0, errmsg: 'ok' }) };
  }

  /** The message's own fields, checked as WeChat does; an errcode when they are wrong. */
  private message(
    state: ApiState,
    body: Record<string, unknown>,
  ): Omit<CustomSent, 'touser' | 'at'> | number {
    const part = body[String(body.msgtype)];
    const fields = typeof part === 'object' && part !== null ? (part as Record<string, unknown>) : null;
    const str = (key: string) => (fields && typeof fields[key] === 'string' ? (fields[key] as string) : null);
    const liveMedia = (id: string | null) => {
      const media = id === null ? undefined : this.media.get(id);
      return media !== undefined && media.createdAt + MEDIA_LIFETIME_MS > state.now();
    };
    switch (body.msgtype) {
      case 'text': {
        const content = str('content');
        if (!content) return 44002;
        if (Buffer.byteLength(content) > TEXT_MAX_BYTES) return 45002;
        return { msgtype: 'text', text: { content } };
      }
      case 'image': {
        const mediaId = str('media_id');
        return liveMedia(mediaId) ? { msgtype: 'image', image: { media_id: mediaId ?? '' } } : 40007;
      }
      case 'link': {
        const title = str('title');
        const description = str('description');
        const url = str('url');
        const thumbUrl = str('thumb_url');
        if (title === null || description === null || url === null || thumbUrl === null) return 47001;
        if (!/^https?:\/\//.test(url)) return 47001;
        return { msgtype: 'link', link: { title, description, url, thumb_url: thumbUrl } };
      }
      case 'miniprogrampage': {
        const title = str('title');
        const pagepath = str('pagepath');
        const thumb = str('thumb_media_id');
        if (title === null || pagepath === null) return 47001;
        if (!liveMedia(thumb)) return 40007;
        return {
          msgtype: 'miniprogrampage',
          miniprogrampage: { title, pagepath, thumb_media_id: thumb ?? '' },
        };
      }
      default:
        return 40008;
    }
  }

  /** POST /cgi-bin/media/upload?type=image (multipart, the file in the part named `media`). */
  upload(state: ApiState, req: ApiRequest & { raw: Buffer }): Reply {
    this.stats.uploadCalls++;
    const fail = (errcode: number) => this.fail(state, errcode);
    if (req.method !== 'POST') return fail(43002);
    const token = req.url.searchParams.get('access_token');
    if (!token) return fail(41001);
    const verdict = state.tokens.verify(token);
    if (verdict !== 'ok') return fail(verdict);
    if (req.url.searchParams.get('type') !== 'image') return fail(40004);
    const file = mediaPart(req.raw);
    if (!file || file.bytes.length === 0) return fail(41005);
    if (file.bytes.length > MEDIA_MAX_BYTES) return fail(40005);
    const png = file.bytes.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const jpeg = file.bytes[0] === 0xff && file.bytes[1] === 0xd8;
    if (!png && !jpeg) return fail(40005);
    const media: UploadedMedia = {
      mediaId: randomBytes(48).toString('base64url'),
      type: 'image',
      bytes: file.bytes.length,
      contentType: png ? 'image/png' : 'image/jpeg',
      createdAt: state.now(),
    };
    this.media.set(media.mediaId, media);
    return {
      status: 200,
      body: JSON.stringify({
        type: 'image',
        media_id: media.mediaId,
        created_at: Math.floor(media.createdAt / 1000),
      }),
    };
  }

  private fail(state: ApiState, errcode: number): Reply {
    const errmsg = `${ERRMSG[errcode] ?? 'sandbox fault'} rid: ${rid(state.now())}`;
    return { status: 200, body: JSON.stringify({ errcode, errmsg }) };
  }
}

/** The bytes of the multipart part named `media` that carries a filename; the boundary is read from the body's first line. */
function mediaPart(raw: Buffer): { bytes: Buffer } | null {
  const firstLine = raw.indexOf('\r\n');
  if (firstLine < 3 || raw[0] !== 0x2d || raw[1] !== 0x2d) return null;
  const delimiter = Buffer.concat([Buffer.from('\r\n'), raw.subarray(0, firstLine)]);
  let start = firstLine + 2;
  while (start < raw.length) {
    const headersEnd = raw.indexOf('\r\n\r\n', start);
    if (headersEnd < 0) return null;
    const headers = raw.subarray(start, headersEnd).toString('utf8');
    const end = raw.indexOf(delimiter, headersEnd + 4);
    if (end < 0) return null;
    if (/name="media"/i.test(headers) && /filename="/i.test(headers))
      return { bytes: raw.subarray(headersEnd + 4, end) };
    start = end + delimiter.length + 2; // past the delimiter and its CRLF
  }
  return null;
}

function parseObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
