/**
 * The WeChat API endpoints of the sandbox, as pure request → reply logic over the sandbox state.
 * The HTTP plumbing (latency, hanging, keep-alive) lives in wechat-sandbox.ts.
 */
import { randomBytes } from 'node:crypto';
import type { FaultStep, SandboxFaults } from './faults';
import { firstFieldProblem } from './field-rules';
import { looksLikeOpenId, openIdFor, userOfCode } from './openid';
import { errorBody } from './replies';
import type { TokenRegistry } from './token-registry';

export type Reply = { status: number; body: string | Buffer; contentType?: string } | { hang: true };

export interface SentMessage {
  touser: string;
  template_id: string;
  page: string | null;
  data: Record<string, { value: string }>;
  miniprogram_state: string | null;
  lang: string | null;
  /** Kept as text: WeChat's msgids exceed Number.MAX_SAFE_INTEGER. */
  msgid: string;
  /** Sandbox clock (epoch ms) when accepted. */
  at: number;
}

export interface SandboxStats {
  tokenFetches: number;
  stableTokenFetches: number;
  sendCalls: number;
  code2SessionCalls: number;
}

export interface ApiRequest {
  method: string;
  url: URL;
  body: string;
}

/** What the endpoints read and change; owned by WeChatSandbox. */
export interface ApiState {
  appId: string;
  appSecret: string;
  now: () => number;
  tokens: TokenRegistry;
  faults: SandboxFaults;
  stats: SandboxStats;
  sent: SentMessage[];
  usedCodes: Set<string>;
  /** When set, other template ids answer 40037. */
  templateIds: ReadonlySet<string> | null;
  nextMsgId: () => string;
  onDelivered: (message: SentMessage) => void;
}

const MINIPROGRAM_STATES = new Set(['developer', 'trial', 'formal']);
const LANGS = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);

const ok = (value: object): Reply => ({ status: 200, body: JSON.stringify(value) });

function fail(state: ApiState, errcode: number, detail?: string): Reply {
  return { status: 200, body: errorBody(errcode, state.now(), detail) };
}

export function faultReply(state: ApiState, step: FaultStep): Reply {
  if ('hang' in step) return { hang: true };
  if ('http' in step) {
    // What a proxy in front of WeChat sends: not JSON, so clients must not assume it.
    return { status: step.http, body: `<html><body>${step.http}</body></html>`, contentType: 'text/html' };
  }
  return fail(state, step.errcode);
}

function parseJsonObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** appid and secret checks shared by the credential endpoints; null when both are right. */
function credentialError(state: ApiState, appid: unknown, secret: unknown): Reply | null {
  if (typeof appid !== 'string' || appid === '') return fail(state, 41002);
  if (appid !== state.appId) return fail(state, 40013);
  if (typeof secret !== 'string' || secret === '') return fail(state, 41004);
  if (secret !== state.appSecret) return fail(state, 40125);
  return null;
}

/** GET /cgi-bin/token */
export function getToken(state: ApiState, req: ApiRequest): Reply {
  state.stats.tokenFetches++;
  if (req.method !== 'GET') return fail(state, 43001);
  const q = req.url.searchParams;
  if (q.get('grant_type') !== 'client_credential') return fail(state, 40002);
  const bad = credentialError(state, q.get('appid'), q.get('secret'));
  if (bad) return bad;
  const { accessToken, expiresIn } = state.tokens.issuePlain();
  return ok({ access_token: accessToken, expires_in: expiresIn });
}

/** POST /cgi-bin/stable_token */
export function getStableToken(state: ApiState, req: ApiRequest): Reply {
  state.stats.stableTokenFetches++;
  if (req.method !== 'POST') return fail(state, 43002);
  const body = parseJsonObject(req.body);
  if (!body) return fail(state, 47001);
  if (body.grant_type !== 'client_credential') return fail(state, 40002);
  const bad = credentialError(state, body.appid, body.secret);
  if (bad) return bad;
  const result = state.tokens.stable(body.force_refresh === true);
  if (!result.ok) {
    const why = result.errcode === 45011 ? 'force_refresh needs 30s between calls' : 'force_refresh limit';
    return fail(state, result.errcode, `(${why})`);
  }
  return ok({ access_token: result.accessToken, expires_in: result.expiresIn });
}

/** GET /sns/jscode2session */
export function code2Session(state: ApiState, req: ApiRequest): Reply {
  state.stats.code2SessionCalls++;
  const step = state.faults.loginNext.shift();
  if (step) return faultReply(state, step);
  const q = req.url.searchParams;
  const bad = credentialError(state, q.get('appid'), q.get('secret'));
  if (bad) return bad;
  if (q.get('grant_type') !== 'authorization_code') return fail(state, 40002);
  const code = q.get('js_code') ?? '';
  if (code === '') return fail(state, 41008);
  if (code.startsWith('invalid')) return fail(state, 40029);
  if (code.startsWith('blocked')) return fail(state, 40226);
  if (state.usedCodes.has(code)) return fail(state, 40163);
  state.usedCodes.add(code);
  // A real session_key is 16 random bytes in base64; it changes with every login.
  return ok({
    session_key: randomBytes(16).toString('base64'),
    openid: openIdFor(state.appId, userOfCode(code)),
  });
}

function optionalString(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : undefined;
}

/** POST /cgi-bin/message/subscribe/send */
export function sendSubscribeMessage(state: ApiState, req: ApiRequest, random: () => number): Reply {
  state.stats.sendCalls++;
  const step = state.faults.next.shift();
  if (step) return faultReply(state, step);
  if (state.faults.failRate > 0 && random() < state.faults.failRate) {
    return faultReply(state, random() < 0.5 ? { errcode: -1 } : { http: 502 });
  }
  if (req.method !== 'POST') return fail(state, 43002);
  const token = req.url.searchParams.get('access_token');
  if (!token) return fail(state, 41001);
  const verdict = state.tokens.verify(token);
  if (verdict !== 'ok') return fail(state, verdict);
  if (state.faults.quotaExceeded) return fail(state, 45009);

  const body = parseJsonObject(req.body);
  if (!body) return fail(state, 47001);
  if (!looksLikeOpenId(body.touser)) return fail(state, 40003);
  const templateId = body.template_id;
  if (typeof templateId !== 'string' || templateId === '') return fail(state, 40037);
  if (state.templateIds && !state.templateIds.has(templateId)) return fail(state, 40037);
  const page = optionalString(body.page);
  const miniprogramState = optionalString(body.miniprogram_state);
  const lang = optionalString(body.lang);
  if (page === undefined) return fail(state, 47001, 'hint: page must be a string');
  if (
    miniprogramState === undefined ||
    (miniprogramState !== null && !MINIPROGRAM_STATES.has(miniprogramState))
  ) {
    return fail(state, 47001, 'hint: miniprogram_state must be developer, trial or formal');
  }
  if (lang === undefined || (lang !== null && !LANGS.has(lang))) {
    return fail(state, 47001, 'hint: lang must be zh_CN, en_US, zh_HK or zh_TW');
  }

  const data = body.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data) || Object.keys(data).length === 0) {
    return fail(state, 47003, 'data is empty');
  }
  const entries = data as Record<string, { value: string }>;
  const problem = firstFieldProblem(entries);
  if (problem)
    return fail(state, 47003, `data.${problem.key}.value ${problem.empty ? 'is empty' : 'invalid'}`);
  if (state.faults.noQuotaFor.includes(body.touser)) return fail(state, 43101);

  const message: SentMessage = {
    touser: body.touser,
    template_id: templateId,
    page,
    data: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { value: v.value }])),
    miniprogram_state: miniprogramState,
    lang,
    msgid: state.nextMsgId(),
    at: state.now(),
  };
  state.sent.push(message);
  state.onDelivered(message);
  // Written by hand: the msgid must reach the client as a bare JSON number beyond 2^53, as WeChat's does.
  return { status: 200, body: `{"errcode":0,"errmsg":"ok","msgid":${message.msgid}}` };
}
