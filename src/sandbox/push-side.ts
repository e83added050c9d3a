/**
 * The sandbox as WeChat's push side (docs/wechat.md#message-push): `POST /__sandbox/push` delivers a user's message or
 * event to tixing's message-push URL exactly as WeChat would — signed with the console's Token
 * and, with an EncodingAESKey, encrypted (secure mode), in JSON or XML — and re-sends it when the
 * answer takes longer than 5 s or is neither `success`, an empty body, nor a valid passive reply,
 * as WeChat does (about three times). It then reports every attempt and the passive reply it got,
 * decrypted and verified. Like the rest of the sandbox it shares no code with the product: its
 * signing and AES are written here from docs/wechat.md#message-push, a second implementation.
 *
 * Body: `{to?, user?, message, format?: "json"|"xml", encrypt?, compatible?, retries?: 0–5 (3),
 * resend?: 0–5 (0), timeoutMs?: 100–5000 (5000)}`; `encrypt` defaults to whether an AES key is set,
 * `compatible` adds the plain fields beside `Encrypt` (compatible mode). `to` is the push URL (or several, the attempts going round them
 * as a load balancer would send WeChat's retries; default: the URL tixing told the sandbox at
 * start); `user` names a sandbox user (`alice`) when `message` has no FromUserName; ToUserName,
 * CreateTime and a MsgId are filled in when absent. `resend` delivers the same push that many more
 * times after it was answered, as WeChat does when our answer is lost on the way back.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { CustomService } from './custom-service';
import type { ApiRequest, Reply } from './wechat-api';

export interface PushAttempt {
  to: string;
  status: number | null; // null: no answer within timeoutMs, or no connection
  ms: number;
  answer: string; // the body, cut to 300 characters
  ok: boolean;
  why?: string; // why WeChat would not take the answer
}

export interface PushReport {
  delivered: boolean; // one attempt was answered as WeChat accepts
  message: Record<string, unknown>; // the message as pushed (before encryption)
  attempts: PushAttempt[];
  reply: Record<string, unknown> | null; // the passive reply, decrypted and verified
}

export interface PushSideDeps {
  appId: string;
  now: () => number;
  custom: Pick<CustomService, 'openWindow'>;
  openIdFor: (user: string) => string;
  nextMsgId: () => string;
  logger?: { info(obj: object, msg?: string): void };
}

interface Params {
  to: string[];
  message: Record<string, unknown>;
  format: 'json' | 'xml';
  encrypt: boolean;
  compatible: boolean;
  retries: number;
  resend: number;
  timeoutMs: number;
}

const USER_MESSAGES = new Set(['text', 'image', 'miniprogrampage']);

export class PushSide {
  /** The push URL to use when a request names none (main.ts sets tixing's own). */
  target: string | null = null;
  private config: { token: string; aesKey?: string } | null = null;

  constructor(private readonly deps: PushSideDeps) {}

  /** The console's Token and EncodingAESKey (WX_TOKEN, WX_AES_KEY), as tixing has them. */
  configure(config: { token: string; aesKey?: string | undefined }): void {
    this.config = { token: config.token, ...(config.aesKey ? { aesKey: config.aesKey } : {}) };
  }

  get gh(): string {
    return `gh_${createHash('sha256').update(this.deps.appId).digest('hex').slice(0, 12)}`;
  }

  /** POST /__sandbox/push */
  async handle(req: ApiRequest): Promise<Reply> {
    const json = (status: number, value: object): Reply => ({ status, body: JSON.stringify(value) });
    let body: unknown;
    try {
      body = JSON.parse(req.body || '{}');
    } catch {
      return json(400, { ok: false, problems: ['body is not JSON'] });
    }
    const parsed = this.params(body);
    if ('problems' in parsed) return json(400, { ok: false, problems: parsed.problems });
    return json(200, { ok: true, ...(await this.push(parsed)) });
  }

  /** Delivers one push (see the file's comment) and reports what happened. */
  async deliver(body: unknown): Promise<PushReport> {
    const parsed = this.params(body);
    if ('problems' in parsed) throw new Error(`sandbox push: ${parsed.problems.join('; ')}`);
    return this.push(parsed);
  }

  private async push(p: Params): Promise<PushReport> {
    const from = String(p.message.FromUserName);
    const type = String(p.message.MsgType);
    // WeChat opens the window when the user acts, whatever our server answers.
    if (USER_MESSAGES.has(type)) this.deps.custom.openWindow(from, 'message', this.deps.now());
    else if (p.message.Event === 'user_enter_tempsession')
      this.deps.custom.openWindow(from, 'session', this.deps.now());
    const attempts: PushAttempt[] = [];
    let reply: Record<string, unknown> | null = null;
    let delivered = false;
    for (let i = 0; i <= p.retries && !delivered; i++) {
      const attempt = await this.attempt(p, p.to[attempts.length % p.to.length] ?? '');
      attempts.push(attempt.report);
      delivered = attempt.report.ok;
      reply = attempt.reply ?? reply;
    }
    for (let i = 0; i < p.resend && delivered; i++) {
      const attempt = await this.attempt(p, p.to[attempts.length % p.to.length] ?? '');
      attempts.push(attempt.report);
    }
    this.deps.logger?.info(
      {
        from,
        msgType: type,
        content: p.message.Content,
        event: p.message.Event,
        attempts: attempts.map((a) => a.status),
        delivered,
      },
      'wechat sandbox pushed a user message',
    );
    return { delivered, message: p.message, attempts, reply };
  }

  private async attempt(
    p: Params,
    to: string,
  ): Promise<{ report: PushAttempt; reply?: Record<string, unknown> }> {
    const config = this.config;
    if (!config) throw new Error('sandbox push: no token configured');
    const timestamp = String(Math.floor(this.deps.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    const plain = serialize(p.message, p.format);
    const query = new URLSearchParams({
      signature: sha1([config.token, timestamp, nonce]),
      timestamp,
      nonce,
      openid: String(p.message.FromUserName),
    });
    let body = plain;
    if (p.encrypt) {
      const encrypt = aesEncrypt(config.aesKey ?? '', plain, this.deps.appId);
      query.set('encrypt_type', 'aes');
      query.set('msg_signature', sha1([config.token, timestamp, nonce, encrypt]));
      const envelope = p.compatible
        ? { ...p.message, Encrypt: encrypt }
        : { ToUserName: p.message.ToUserName, Encrypt: encrypt };
      body = serialize(envelope, p.format);
    }
    const started = Date.now();
    const sep = to.includes('?') ? '&' : '?';
    try {
      const res = await fetch(`${to}${sep}${query.toString()}`, {
        method: 'POST',
        headers: { 'content-type': p.format === 'json' ? 'application/json' : 'text/xml' },
        body,
        signal: AbortSignal.timeout(p.timeoutMs),
      });
      const answer = await res.text();
      const ms = Date.now() - started;
      const { reply, ...verdict } =
        res.status === 200
          ? this.judge(answer, p, config)
          : { ok: false, why: `HTTP ${res.status}`, reply: undefined };
      const report: PushAttempt = { to, status: res.status, ms, answer: answer.slice(0, 300), ...verdict };
      return reply ? { report, reply } : { report };
    } catch (err) {
      const ms = Date.now() - started;
      const why =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${p.timeoutMs} ms`
          : (err as Error).message;
      return { report: { to, status: null, ms, answer: '', ok: false, why } };
    }
  }

  /** Whether WeChat takes an answer: `success`, empty, or a valid passive reply (decrypted when encrypted). */
  private judge(
    answer: string,
    p: Params,
    config: { token: string; aesKey?: string },
  ): { ok: boolean; why?: string; reply?: Record<string, unknown> } {
    const text = answer.trim();
    if (text === '' || text === 'success') return { ok: true };
    let fields: Record<string, string> | null;
    try {
      fields = p.encrypt ? this.decryptReply(text, config) : parseFlat(text);
    } catch (err) {
      return { ok: false, why: (err as Error).message };
    }
    if (!fields) return { ok: false, why: 'neither success nor a passive reply' };
    if (fields.MsgType !== 'transfer_customer_service')
      return { ok: false, why: `passive reply ${fields.MsgType ?? '?'} is not allowed` };
    if (fields.ToUserName !== p.message.FromUserName || fields.FromUserName !== p.message.ToUserName) {
      return { ok: false, why: 'passive reply addressed to someone else' };
    }
    return { ok: true, reply: fields };
  }

  private decryptReply(
    text: string,
    config: { token: string; aesKey?: string },
  ): Record<string, string> | null {
    const envelope = parseFlat(text);
    if (!envelope) return null;
    if (!envelope.Encrypt) throw new Error('an encrypted push needs an encrypted reply');
    const { Encrypt, MsgSignature, TimeStamp, Nonce } = envelope;
    if (MsgSignature !== sha1([config.token, TimeStamp ?? '', Nonce ?? '', Encrypt])) {
      throw new Error('the reply MsgSignature does not hold');
    }
    return parseFlat(aesDecrypt(config.aesKey ?? '', Encrypt, this.deps.appId));
  }

  private params(json: unknown): Params | { problems: string[] } {
    const problems: string[] = [];
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      return { problems: ['body must be a JSON object'] };
    const b = json as Record<string, unknown>;
    const known = new Set([
      'to',
      'user',
      'message',
      'format',
      'encrypt',
      'compatible',
      'retries',
      'resend',
      'timeoutMs',
    ]);
    for (const key of Object.keys(b)) if (!known.has(key)) problems.push(`unknown field ${key}`);
    const to = b.to === undefined ? (this.target ? [this.target] : []) : Array.isArray(b.to) ? b.to : [b.to];
    if (to.length === 0 || !to.every((u) => typeof u === 'string' && /^https?:\/\//.test(u))) {
      problems.push('to must be the push URL (http…), or a list of them');
    }
    const message = b.message;
    if (typeof message !== 'object' || message === null || Array.isArray(message))
      problems.push('message must be an object');
    const int = (key: string, min: number, max: number, fallback: number) => {
      const v = b[key] ?? fallback;
      if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
      problems.push(`${key} must be an integer in ${min}..${max}`);
      return fallback;
    };
    const retries = int('retries', 0, 5, 3);
    const resend = int('resend', 0, 5, 0);
    const timeoutMs = int('timeoutMs', 100, 5000, 5000);
    const format = b.format ?? 'json';
    if (format !== 'json' && format !== 'xml') problems.push('format must be json or xml');
    if (!this.config)
      problems.push('the sandbox has no message-push Token: start tixing with WX_TOKEN (and WX_AES_KEY)');
    const encrypt = b.encrypt ?? Boolean(this.config?.aesKey);
    if (typeof encrypt !== 'boolean') problems.push('encrypt must be a boolean');
    else if (encrypt && !this.config?.aesKey) problems.push('encrypt needs WX_AES_KEY');
    const compatible = b.compatible ?? false;
    if (typeof compatible !== 'boolean') problems.push('compatible must be a boolean');
    else if (compatible && encrypt !== true) problems.push('compatible needs encrypt');
    if (b.user !== undefined && (typeof b.user !== 'string' || b.user === ''))
      problems.push('user must be a name');
    if (problems.length > 0) return { problems };
    const m = { ...(message as Record<string, unknown>) };
    if (m.FromUserName === undefined) {
      if (typeof b.user !== 'string') return { problems: ['message.FromUserName or user is required'] };
      m.FromUserName = this.deps.openIdFor(b.user);
    }
    const filled: Record<string, unknown> = { ToUserName: this.gh, ...m };
    filled.CreateTime ??= Math.floor(this.deps.now() / 1000);
    if (filled.MsgType !== 'event') filled.MsgId ??= this.deps.nextMsgId();
    return {
      to: to as string[],
      message: filled,
      format: format as 'json' | 'xml',
      encrypt: encrypt as boolean,
      compatible: compatible as boolean,
      retries,
      resend,
      timeoutMs,
    };
  }
}

function sha1(parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** WeChat's push AES: random(16) ‖ uint32 BE length ‖ message ‖ appid, PKCS#7 to 32-byte blocks. */
function aesEncrypt(aesKey: string, message: string, appId: string): string {
  const key = Buffer.from(`${aesKey}=`, 'base64');
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const plain = Buffer.concat([randomBytes(16), length, body, Buffer.from(appId)]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([
    cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])),
    cipher.final(),
  ]).toString('base64');
}

function aesDecrypt(aesKey: string, encrypt: string, appId: string): string {
  const key = Buffer.from(`${aesKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > 32) throw new Error('the reply does not decrypt (padding)');
  const plain = padded.subarray(0, padded.length - pad);
  const length = plain.readUInt32BE(16);
  if (plain.subarray(20 + length).toString() !== appId) throw new Error('the reply names another appid');
  return plain.subarray(20, 20 + length).toString('utf8');
}

/** A flat message as WeChat sends it: JSON, or `<xml>` with one element per field (strings in CDATA). */
function serialize(fields: Record<string, unknown>, format: 'json' | 'xml'): string {
  if (format === 'json') return JSON.stringify(fields);
  const parts = Object.entries(fields).map(([k, v]) =>
    typeof v === 'number'
      ? `<${k}>${v}</${k}>`
      : `<${k}><![CDATA[${String(v).replaceAll(']]>', ']]]]><![CDATA[>')}]]></${k}>`,
  );
  return `<xml>${parts.join('')}</xml>`;
}

/** A flat JSON object or `<xml>` document as field → text; null when it is neither. */
function parseFlat(text: string): Record<string, string> | null {
  if (text.startsWith('{')) {
    try {
      const value = JSON.parse(text) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    } catch {
      return null;
    }
  }
  if (!text.startsWith('<xml>')) return null;
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/<(\w+)>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*))<\/\1>/g)) {
    const [, name = '', cdata, plain] = m;
    if (name !== 'xml') out[name] = cdata ?? plain ?? '';
  }
  return out;
}
