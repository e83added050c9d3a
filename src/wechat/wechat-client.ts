import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { WeChatApiError, WeChatTransportError } from './errors';

export interface WeChatClientOptions {
  apiBase: string; // e.g. https://api.weixin.qq.com, or the sandbox's loopback URL
  appId: string;
  appSecret: string;
  timeoutMs?: number; // per request, default 5000
  maxSockets?: number; // keep-alive sockets per host, default 64
}

export interface Code2SessionResult {
  openid: string;
  sessionKey: string;
  unionid?: string;
}

export interface AccessTokenResult {
  accessToken: string;
  expiresIn: number; // seconds
}

export interface SubscribeMessage {
  touser: string;
  template_id: string;
  page?: string;
  data: Record<string, { value: string }>;
  miniprogram_state: 'developer' | 'trial' | 'formal';
  lang: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW';
}

/**
 * The HTTP boundary to WeChat's API: keep-alive connections, JSON parsed whatever the content
 * type, ids kept as strings, and every failure translated to WeChatApiError / WeChatTransportError.
 * It holds no token: the TokenManager passes one in.
 */
export class WeChatClient {
  private readonly http: AxiosInstance;

  constructor(private readonly options: WeChatClientOptions) {
    const maxSockets = options.maxSockets ?? 64;
    this.http = axios.create({
      baseURL: options.apiBase,
      timeout: options.timeoutMs ?? 5000,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets }),
      // Parse ourselves: WeChat may answer text/plain, and msgid exceeds Number.MAX_SAFE_INTEGER.
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      proxy: false,
      // WeChat's API never redirects; without this axios wraps every request in follow-redirects.
      maxRedirects: 0,
    });
  }

  async code2Session(code: string): Promise<Code2SessionResult> {
    const body = await this.call('jscode2session', () =>
      this.http.get('/sns/jscode2session', {
        params: {
          appid: this.options.appId,
          secret: this.options.appSecret,
          js_code: code,
          grant_type: 'authorization_code',
        },
      }),
    );
    const openid = stringField(body, 'openid', 'jscode2session');
    const sessionKey = stringField(body, 'session_key', 'jscode2session');
    const unionid = typeof body.unionid === 'string' ? body.unionid : undefined;
    return { openid, sessionKey, ...(unionid ? { unionid } : {}) };
  }

  async stableToken(forceRefresh = false): Promise<AccessTokenResult> {
    const body = await this.call('stable_token', () =>
      this.http.post('/cgi-bin/stable_token', {
        grant_type: 'client_credential',
        appid: this.options.appId,
        secret: this.options.appSecret,
        force_refresh: forceRefresh,
      }),
    );
    const accessToken = stringField(body, 'access_token', 'stable_token');
    const expiresIn = Number(body.expires_in);
    if (!Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new WeChatTransportError('stable_token answered without a valid expires_in', 'stable_token');
    }
    return { accessToken, expiresIn };
  }

  /** Sends one subscribe message; resolves WeChat's msgid (as a string) when it gives one. */
  async sendSubscribeMessage(accessToken: string, message: SubscribeMessage): Promise<{ msgid?: string }> {
    const body = await this.call('subscribe/send', () =>
      this.http.post('/cgi-bin/message/subscribe/send', message, { params: { access_token: accessToken } }),
    );
    const msgid = body.msgid;
    return msgid === undefined || msgid === null ? {} : { msgid: String(msgid) };
  }

  private async call(
    api: string,
    request: () => Promise<AxiosResponse<string>>,
  ): Promise<Record<string, unknown>> {
    let response: AxiosResponse<string>;
    try {
      response = await request();
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const timeout = e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT';
      // The axios error's config holds the URL with secret/access_token: keep only a safe cause.
      throw new WeChatTransportError(
        timeout ? `WeChat ${api} timed out` : `WeChat ${api} unreachable (${e.code ?? 'network error'})`,
        api,
        undefined,
        { timeout, cause: new Error(e.code ?? 'network error') },
      );
    }
    if (response.status >= 300) {
      throw new WeChatTransportError(`WeChat ${api} answered HTTP ${response.status}`, api, response.status);
    }
    const body = parseWeChatJson(response.data);
    if (!body) throw new WeChatTransportError(`WeChat ${api} answered something that is not JSON`, api);
    const errcode = Number(body.errcode ?? 0);
    if (errcode !== 0) throw new WeChatApiError(errcode, String(body.errmsg ?? ''), api);
    return body;
  }
}

/**
 * JSON.parse that keeps WeChat's long integer ids (msgid, MsgID) as their exact digits: a
 * msgid such as 1864323726461255680 would lose its last digits as a JS number.
 */
export function parseWeChatJson(text: string): Record<string, unknown> | undefined {
  try {
    const quoted = text.replace(/("(?:msgid|MsgID|MsgId|msg_id)"\s*:\s*)(-?\d+)/g, '$1"$2"');
    const value: unknown = JSON.parse(quoted);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringField(body: Record<string, unknown>, key: string, api: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') {
    throw new WeChatTransportError(`WeChat ${api} answered without ${key}`, api);
  }
  return value;
}
