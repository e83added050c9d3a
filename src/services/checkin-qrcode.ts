import { checkinScene, SIGN_PAGE } from '../domain/checkin';
import type { Logger } from '../logger';
import type { CheckinStore } from '../store/checkin-store';
import { isWeChatError } from '../wechat/errors';
import type { TokenManager } from '../wechat/token-manager';
import type { WeChatClient } from '../wechat/wechat-client';

const WIDTH = 430; // px, WeChat's default
/** WX_MINIPROGRAM_STATE in getwxacodeunlimit's words: which version the scan opens. */
const ENV_VERSION = { formal: 'release', trial: 'trial', developer: 'develop' } as const;

export interface CheckinQrCodesDeps {
  store: Pick<CheckinStore, 'cachedCode' | 'cacheCode'>;
  wechat: Pick<WeChatClient, 'getUnlimitedQrCode'>;
  tokens: Pick<TokenManager, 'get' | 'invalidate'>;
  miniprogramState: keyof typeof ENV_VERSION;
  logger: Logger;
}

/** A check-in's QR code, as `GET /api/checkins/:id/code` shows it beside the code. */
export interface CheckinQrCode {
  scene: string; // `c=<id>`: what the sign page reads from `options.scene`
  page: string;
  image: Buffer;
}

/**
 * A check-in's QR code: `wxa/getwxacodeunlimit` for `pages/checkin/sign` with scene `c=<id>`
 * (the code rotates, the QR does not: it only opens the right check-in), made once and cached in
 * Redis until the check-in's records expire. Concurrent first requests share one WeChat call.
 */
export class CheckinQrCodes {
  private readonly inflight = new Map<string, Promise<Buffer | null>>(); // one entry per scene being made

  constructor(private readonly deps: CheckinQrCodesDeps) {}

  /** The QR code of check-in `id`, or null when WeChat did not make it (logged; the code still works). */
  async of(id: string, expireAt: number): Promise<CheckinQrCode | null> {
    const scene = checkinScene(id);
    let image = await this.deps.store.cachedCode(SIGN_PAGE, scene);
    if (!image) {
      let making = this.inflight.get(scene);
      if (!making) {
        making = this.make(scene, expireAt).finally(() => this.inflight.delete(scene));
        this.inflight.set(scene, making);
      }
      image = await making;
    }
    return image ? { scene, page: SIGN_PAGE, image } : null;
  }

  private async make(scene: string, expireAt: number): Promise<Buffer | null> {
    const { wechat, tokens, store, miniprogramState, logger } = this.deps;
    const envVersion = ENV_VERSION[miniprogramState];
    const request = {
      scene,
      page: SIGN_PAGE,
      // Only the released version's pages are known to WeChat's check; trial and develop skip it.
      check_path: envVersion === 'release',
      env_version: envVersion,
      width: WIDTH,
    };
    for (let attempt = 0; ; attempt++) {
      const token = await tokens.get();
      try {
        const { image } = await wechat.getUnlimitedQrCode(token, request);
        await store.cacheCode(SIGN_PAGE, scene, image, expireAt);
        return image;
      } catch (err) {
        if (!isWeChatError(err)) throw err;
        if (err.kind === 'token' && attempt === 0) {
          await tokens.invalidate(token); // replaced once, as for sends
          continue;
        }
        logger.warn(
          { api: 'getwxacodeunlimit', errcode: err.errcode, errmsg: err.errmsg, scene },
          'WeChat did not make a check-in QR code',
        );
        return null;
      }
    }
  }
}
