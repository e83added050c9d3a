import { randomBytes } from 'node:crypto';
import {
  BadLoginCodeError,
  ForbiddenError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
} from '../errors';
import type { Keys } from '../store/keys';
import type { Redis } from '../store/redis';
import { WeChatApiError, isWeChatError } from '../wechat/errors';
import type { WeChatClient } from '../wechat/wechat-client';

export interface Session {
  openid: string;
  token: string;
}

export interface LoginServiceDeps {
  redis: Redis;
  keys: Keys;
  wechat: Pick<WeChatClient, 'code2Session'>;
  sessionTtlSeconds: number;
  now: () => number;
}

/** wx.login codes → code2Session → an opaque session token kept in Redis with a TTL. */
export class LoginService {
  constructor(private readonly deps: LoginServiceDeps) {}

  async login(code: string): Promise<{ token: string; expiresAt: string }> {
    const { redis, keys, sessionTtlSeconds, now } = this.deps;
    const { openid, sessionKey, unionid } = await this.code2Session(code);
    const token = randomBytes(32).toString('base64url');
    const at = now();
    const expiresAt = new Date(at + sessionTtlSeconds * 1000).toISOString();
    await redis
      .multi()
      .hSet(keys.session(token), { openid, sessionKey, createdAt: String(at) })
      .expire(keys.session(token), sessionTtlSeconds)
      .hSetNX(keys.user(openid), 'createdAt', new Date(at).toISOString())
      .hSet(keys.user(openid), {
        openid,
        lastLoginAt: new Date(at).toISOString(),
        ...(unionid ? { unionid } : {}),
      })
      .exec();
    return { token, expiresAt };
  }

  /** Resolves a bearer token to its session, or throws 401. */
  async authenticate(token: string): Promise<Session> {
    const { redis, keys } = this.deps;
    const openid = await redis.hGet(keys.session(token), 'openid');
    if (!openid) throw new UnauthorizedError('session expired or unknown: log in again', 40102);
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
            throw new BadLoginCodeError(
              err.errcode === 40163
                ? 'the login code was already used: call wx.login again'
                : 'the login code is invalid',
              { cause: err },
            );
          case 'rate_limited':
            throw new RateLimitedError('too many logins for this user, try again in a minute', {
              cause: err,
            });
          case 'blocked':
            throw new ForbiddenError('WeChat refused this user (high-risk account)', 40302, { cause: err });
        }
      }
      throw new ServiceUnavailableError('WeChat is unavailable, try again shortly', 50302, { cause: err });
    }
  }
}
