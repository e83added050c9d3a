/**
 * A WeChat API sandbox: an HTTP server on loopback that answers like api.weixin.qq.com for the
 * calls tixing makes (docs/wechat.md), with switchable faults. `npm start` without credentials
 * runs it in-process; tests, drills and benchmarks talk to it over HTTP and steer it through the
 * `/__sandbox/*` endpoints (the fault switches are described in faults.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyFaultPatch, defaultFaults, parseFaultPatch, type SandboxFaults } from './faults';
import { openIdFor, userOfCode } from './openid';
import { TokenRegistry } from './token-registry';
import {
  code2Session,
  getStableToken,
  getToken,
  sendSubscribeMessage,
  type ApiRequest,
  type ApiState,
  type Reply,
  type SandboxStats,
  type SentMessage,
} from './wechat-api';
import { errorBody } from './replies';
import { WxaCodes } from './wxacode';
import { SecChecks } from './msg-sec-check';
import { CustomService } from './custom-service';
import { PushSide } from './push-side';

export type { FaultStep, FaultPatch, SandboxFaults } from './faults';
export type { SandboxStats, SentMessage } from './wechat-api';
export type { WxaCodeCall } from './wxacode';
export type { SecCheckCall } from './msg-sec-check';
export type { CustomSent, UploadedMedia } from './custom-service';
export type { PushAttempt, PushReport } from './push-side';

export interface WeChatSandboxOptions {
  appId: string;
  appSecret: string;
  /** Lifetime of issued access tokens, seconds; default 7200 as WeChat's. */
  tokenTtlSeconds?: number;
  /** pino-like; gets one line per delivered message (touser, template_id, page, data, msgid). */
  logger?: { info(obj: object, msg?: string): void };
  /** Clock, epoch ms; default Date.now. Drives token expiry and force-refresh spacing. */
  now?: () => number;
  /** When given, sends to any other template id answer 40037; default: every id is accepted. */
  templateIds?: readonly string[];
  /** Source of randomness for failRate, 0 ≤ x < 1; default Math.random. */
  random?: () => number;
  /** The message-push Token and EncodingAESKey (WX_TOKEN, WX_AES_KEY) for `POST /__sandbox/push`. */
  push?: { token: string; aesKey?: string | undefined };
}

const MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/json; encoding=utf-8';

export class WeChatSandbox {
  /** Every accepted send, oldest first. */
  readonly sent: SentMessage[] = [];
  readonly stats: SandboxStats = {
    tokenFetches: 0,
    stableTokenFetches: 0,
    sendCalls: 0,
    code2SessionCalls: 0,
  };
  /** Live fault switches: change the fields in place. */
  readonly faults: SandboxFaults = defaultFaults();
  /** `wxa/getwxacodeunlimit` (QR images): every image it made, in `wxacodes.calls`. */
  readonly wxacodes = new WxaCodes();
  /** `wxa/msg_sec_check` (content security): every check it answered, in `secChecks.calls`. */
  readonly secChecks = new SecChecks();

  private readonly options: WeChatSandboxOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly tokens: TokenRegistry;
  private readonly usedCodes = new Set<string>();
  private readonly state: ApiState;
  private msgIdSeq: bigint;
  private server: http.Server | null = null;
  private baseUrl: string | null = null;
  /** Answers held back by latency or a hang, released or dropped on stop. */
  private readonly held = new Set<{ res: http.ServerResponse; timer?: NodeJS.Timeout }>();
  /** `custom/send` and `media/upload` (customer service): what they took, their windows and faults. */
  readonly custom: CustomService;
  /** `POST /__sandbox/push`: the sandbox as WeChat's push side (push-side.ts). */
  readonly pushSide: PushSide;

  constructor(options: WeChatSandboxOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.tokens = new TokenRegistry(this.now, (options.tokenTtlSeconds ?? 7200) * 1000);
    // 19 digits like WeChat's (1864323726461255680), well past 2^53 ≈ 9.007e15.
    this.msgIdSeq = 1_800_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e15));
    this.state = {
      appId: options.appId,
      appSecret: options.appSecret,
      now: this.now,
      tokens: this.tokens,
      faults: this.faults,
      stats: this.stats,
      sent: this.sent,
      usedCodes: this.usedCodes,
      templateIds: options.templateIds ? new Set(options.templateIds) : null,
      nextMsgId: () => {
        this.msgIdSeq += BigInt(1 + Math.floor(Math.random() * 1000));
        return this.msgIdSeq.toString();
      },
      onDelivered: (m) =>
        this.options.logger?.info(
          { touser: m.touser, template_id: m.template_id, page: m.page, data: m.data, msgid: m.msgid },
          'wechat sandbox delivered a subscribe message',
        ),
    };
    this.custom = new CustomService(options.logger);
    this.pushSide = new PushSide({
      appId: options.appId,
      now: this.now,
      custom: this.custom,
      openIdFor: (user) => openIdFor(options.appId, user),
      nextMsgId: () => this.state.nextMsgId(),
      logger: options.logger,
    });
    if (options.push) this.pushSide.configure(options.push);
  }

  /** Base URL once started, e.g. `http://127.0.0.1:41234`; null before start and after stop. */
  get url(): string | null {
    return this.baseUrl;
  }

  /** Listens (port 0 picks a free one) and resolves the base URL. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('WeChatSandbox already started');
    const server = http.createServer((req, res) => void this.handle(req, res));
    // Longer than clients' idle keep-alive, so the sandbox never closes a socket a client is reusing.
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${hostPart}:${address.port}`;
    return this.baseUrl;
  }

  /** Closes the server, held (delayed or hanging) answers and idle keep-alive sockets. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.baseUrl = null;
    for (const held of this.held) {
      clearTimeout(held.timer);
      held.res.destroy();
    }
    this.held.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Forgets sent messages, counters, used codes, force-refresh history and faults. Issued tokens stay valid. */
  reset(): void {
    this.sent.length = 0;
    Object.assign(this.stats, { tokenFetches: 0, stableTokenFetches: 0, sendCalls: 0, code2SessionCalls: 0 });
    Object.assign(this.faults, defaultFaults());
    this.usedCodes.clear();
    this.tokens.resetLimits();
    this.wxacodes.reset();
    this.secChecks.reset();
    this.custom.reset();
  }

  /** Every token issued so far answers 40001 from now on. */
  revokeTokens(): void {
    this.tokens.revokeAll();
  }

  /** The openid this sandbox gives the user of `code` (`alice`, `alice#2` → the same). */
  openIdFor(code: string): string {
    return openIdFor(this.options.appId, userOfCode(code));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let reply: Reply;
    let delayed = true;
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
      const raw = await readBody(req);
      const request = { method: req.method ?? 'GET', url, body: raw.toString('utf8'), raw };
      if (url.pathname === '/__sandbox/push' && request.method === 'POST') {
        delayed = false;
        reply = await this.pushSide.handle(request);
      } else if (url.pathname.startsWith('/__sandbox/')) {
        delayed = false;
        reply = this.control(request);
      } else {
        reply = this.api(request);
      }
    } catch (err) {
      delayed = false;
      reply =
        err instanceof BodyTooLargeError
          ? { status: 413, body: errorBody(47001, this.now(), 'hint: body too large') }
          : { status: 500, body: errorBody(-1, this.now()) };
    }
    this.answer(res, reply, delayed ? this.faults.latencyMs : 0);
  }

  private api(req: ApiRequest & { raw: Buffer }): Reply {
    switch (req.url.pathname) {
      case '/cgi-bin/token':
        return getToken(this.state, req);
      case '/cgi-bin/stable_token':
        return getStableToken(this.state, req);
      case '/sns/jscode2session':
        return code2Session(this.state, req);
      case '/cgi-bin/message/subscribe/send':
        return sendSubscribeMessage(this.state, req, this.random);
      case '/wxa/getwxacodeunlimit':
        return this.wxacodes.handle(this.state, req);
      case '/wxa/msg_sec_check':
        return this.secChecks.handle(this.state, req);
      case '/cgi-bin/message/custom/send':
        return this.custom.send(this.state, req);
      case '/cgi-bin/media/upload':
        return this.custom.upload(this.state, req);
      default:
        return { status: 404, body: errorBody(40066, this.now()) };
    }
  }

  private control(req: ApiRequest): Reply {
    const json = (status: number, value: object): Reply => ({ status, body: JSON.stringify(value) });
    const route = `${req.method} ${req.url.pathname}`;
    switch (route) {
      case 'GET /__sandbox/state':
        return json(200, {
          stats: this.stats,
          sent: this.sent.length,
          activeTokens: this.tokens.activeCount,
          faults: this.faults,
        });
      case 'GET /__sandbox/sent': {
        const touser = req.url.searchParams.get('touser');
        return json(200, { sent: touser ? this.sent.filter((m) => m.touser === touser) : this.sent });
      }
      case 'GET /__sandbox/custom': {
        // Customer-service messages custom/send took (the bot's and agents' answers).
        const touser = req.url.searchParams.get('touser');
        const sent = touser ? this.custom.sent.filter((m) => m.touser === touser) : this.custom.sent;
        return json(200, { stats: this.custom.stats, sent });
      }
      case 'POST /__sandbox/reset':
        this.reset();
        return json(200, { ok: true });
      case 'POST /__sandbox/faults': {
        let body: unknown;
        try {
          body = JSON.parse(req.body || '{}');
        } catch {
          return json(400, { ok: false, problems: ['body is not JSON'] });
        }
        const parsed = parseFaultPatch(body);
        if ('problems' in parsed) return json(400, { ok: false, problems: parsed.problems });
        applyFaultPatch(this.faults, parsed.patch);
        if (parsed.patch.revokeTokens) this.revokeTokens();
        return json(200, { ok: true, faults: this.faults });
      }
      default:
        return json(404, { ok: false, problems: [`no sandbox control ${route}`] });
    }
  }

  private answer(res: http.ServerResponse, reply: Reply, latencyMs: number): void {
    if ('hang' in reply) {
      const held = { res };
      this.held.add(held);
      res.once('close', () => this.held.delete(held));
      return;
    }
    const write = (): void => {
      if (res.destroyed) return;
      res.writeHead(reply.status, {
        'content-type': reply.contentType ?? JSON_TYPE,
        'content-length': Buffer.byteLength(reply.body),
      });
      res.end(reply.body);
    };
    if (latencyMs <= 0) return write();
    const held: { res: http.ServerResponse; timer?: NodeJS.Timeout } = { res };
    held.timer = setTimeout(() => {
      this.held.delete(held);
      write();
    }, latencyMs);
    this.held.add(held);
  }
}

class BodyTooLargeError extends Error {}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
