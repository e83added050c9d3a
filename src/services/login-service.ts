import { randomBytes } from 'node:crypto';
import {
  loginBlocked,
  loginCodeInvalid,
  loginCodeUsed,
  loginRateLimited,
  sessionExpired,
  wechatUnavailable,
} from '../errors';
import type { SessionStore } from '../store/session-store';
import { WeChatApiError, isWeChatError } from '../wechat/errors';
import type { WeChatClient } from '../wechat/wechat-client';

export interface Session {
  openid: string;
  token: string;
}

export interface LoginServiceDeps {
  sessions: Pick<SessionStore, 'create' | 'openidOf'>;
  wechat: Pick<WeChatClient, 'code2Session'>;
  sessionTtlSeconds: number;
  now: () => number;
}

/** wx.login codes → code2Session → an opaque session token kept in Redis with a TTL. */
export class LoginService {
  constructor(private readonly deps: LoginServiceDeps) {}

  /** A new session for the user of a wx.login code; `expiresAt` in epoch ms. */
  async login(code: string): Promise<{ token: string; expiresAt: number }> {
    const { sessions, sessionTtlSeconds, now } = this.deps;
    const session = await this.code2Session(code);
    const token = randomBytes(32).toString('base64url');
    const at = now();
    await sessions.create(token, session, at, sessionTtlSeconds);
    return { token, expiresAt: at + sessionTtlSeconds * 1000 };
  }

  /** Resolves a bearer token to its session, or throws 401. */
  async authenticate(token: string): Promise<Session> {
    const openid = await this.deps.sessions.openidOf(token);
    if (!openid) throw sessionExpired();
    return { openid, token };
  }

  private async code2Session(code: string) {
    try {
      return await this.deps.wechat.code2Session(code);
    } catch (err) {
      if (!isWeChatError(err)) throw err;
      if (err instanceof WeChatApiError) {
        switch (err.kind) {
          case 'bad_code':
            throw err.errcode === 40163 ? loginCodeUsed({ cause: err }) : loginCodeInvalid({ cause: err });
          case 'rate_limited':
            throw loginRateLimited({ cause: err });
          case 'blocked':
            throw loginBlocked({ cause: err });
        }
      }
      throw wechatUnavailable({ cause: err });
    }
  }
}
