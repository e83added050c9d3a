import { inviteScene, JOIN_PAGE } from '../domain/group';
import { groupNotFound, groupQrcodeUnavailable } from '../errors';
import type { Logger } from '../logger';
import type { GroupStore } from '../store/group-store';
import { WeChatApiError, isWeChatError } from '../wechat/errors';
import type { TokenManager } from '../wechat/token-manager';
import type { WeChatClient } from '../wechat/wechat-client';
import type { GroupService } from './group-service';

const CACHE_TTL_SECONDS = 30 * 86_400; // an image per scene, kept a month (WeChat: 5,000 calls a minute)
const WIDTH = 430; // px, WeChat's default

/** WX_MINIPROGRAM_STATE in getwxacodeunlimit's words: which version the scan opens. */
const ENV_VERSION = { formal: 'release', trial: 'trial', developer: 'develop' } as const;

export interface GroupQrCodesDeps {
  groups: Pick<GroupService, 'access' | 'get'>;
  store: Pick<GroupStore, 'cachedCode' | 'cacheCode' | 'dropCode'>;
  wechat: Pick<WeChatClient, 'getUnlimitedQrCode'>;
  tokens: Pick<TokenManager, 'get' | 'invalidate'>;
  miniprogramState: keyof typeof ENV_VERSION;
  logger: Logger;
}

/**
 * A group's join QR code (README.md#http-api): `wxa/getwxacodeunlimit` for `pages/group/join` with the
 * invite code as its scene, cached in Redis per scene, so a rotated code gets a new image and the
 * old one is dropped. Concurrent first requests for one scene share one WeChat call.
 */
export class GroupQrCodes {
  private readonly inflight = new Map<string, Promise<Buffer>>(); // one entry per scene being made

  constructor(private readonly deps: GroupQrCodesDeps) {}

  /** The PNG (or JPEG) of the group's join code (managers). */
  async image(openid: string, groupId: string): Promise<Buffer> {
    await this.deps.groups.access(groupId, openid, 'manager');
    const group = await this.deps.groups.get(groupId);
    if (!group) throw groupNotFound();
    const scene = inviteScene(group.inviteCode);
    const cached = await this.deps.store.cachedCode(JOIN_PAGE, scene);
    if (cached) return cached;
    let making = this.inflight.get(scene);
    if (!making) {
      making = this.make(scene).finally(() => this.inflight.delete(scene));
      this.inflight.set(scene, making);
    }
    return making;
  }

  /** Forgets the image of an invite code that no longer works. */
  async forget(inviteCode: string): Promise<void> {
    await this.deps.store.dropCode(JOIN_PAGE, inviteScene(inviteCode));
  }

  private async make(scene: string): Promise<Buffer> {
    const { wechat, tokens, store, miniprogramState } = this.deps;
    const envVersion = ENV_VERSION[miniprogramState];
    const request = {
      scene,
      page: JOIN_PAGE,
      // Only the released version's pages are known to WeChat's check; trial and develop skip it.
      check_path: envVersion === 'release',
      env_version: envVersion,
      width: WIDTH,
    };
    let image: Buffer | undefined;
    for (let attempt = 0; !image; attempt++) {
      const token = await tokens.get();
      try {
        image = (await wechat.getUnlimitedQrCode(token, request)).image;
      } catch (err) {
        if (!isWeChatError(err)) throw err;
        // A stale token is replaced once and the call tried again, as for sends.
        if (err.kind === 'token' && attempt === 0) {
          await tokens.invalidate(token);
          continue;
        }
        this.deps.logger.warn(
          { api: 'getwxacodeunlimit', errcode: err.errcode, errmsg: err.errmsg, scene },
          'WeChat did not make a group QR code',
        );
        const why =
          err instanceof WeChatApiError
            ? `getwxacodeunlimit answered errcode ${err.errcode}`
            : 'getwxacodeunlimit could not be reached';
        throw groupQrcodeUnavailable(why, { cause: err });
      }
    }
    await store.cacheCode(JOIN_PAGE, scene, image, CACHE_TTL_SECONDS);
    return image;
  }
}
