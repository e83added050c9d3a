import { consoleQrcodeUnavailable } from '../errors';
import type { Logger } from '../logger';
import { WeChatApiError, isWeChatError } from '../wechat/errors';
import type { TokenManager } from '../wechat/token-manager';
import type { WeChatClient } from '../wechat/wechat-client';

/** The mini-program page a console sign-in QR opens; it reads `l:<nonce>` from `options.scene`. */
export const CONSOLE_LOGIN_PAGE = 'pages/console/login';
const WIDTH = 280; // px: WeChat's smallest, plenty for a screen
/** WX_MINIPROGRAM_STATE in getwxacodeunlimit's words: which version the scan opens. */
const ENV_VERSION = { formal: 'release', trial: 'trial', developer: 'develop' } as const;

export interface ConsoleQrCodesDeps {
  wechat: Pick<WeChatClient, 'getUnlimitedQrCode'>;
  tokens: Pick<TokenManager, 'get' | 'invalidate'>;
  miniprogramState: keyof typeof ENV_VERSION;
  logger: Logger;
}

/**
 * The QR code of one console sign-in: WeChatClient's `wxa/getwxacodeunlimit` for
 * CONSOLE_LOGIN_PAGE with scene `l:<nonce>`. Not cached: each scene is shown once, for 2 minutes
 * (the start route is rate-limited per address, far below WeChat's 5,000 calls a minute).
 */
export class ConsoleQrCodes {
  constructor(private readonly deps: ConsoleQrCodesDeps) {}

  async image(scene: string): Promise<{ image: Buffer; contentType: string }> {
    const { wechat, tokens, miniprogramState, logger } = this.deps;
    const envVersion = ENV_VERSION[miniprogramState];
    const request = {
      scene,
      page: CONSOLE_LOGIN_PAGE,
      // Only the released version's pages are known to WeChat's check; trial and develop skip it.
      check_path: envVersion === 'release',
      env_version: envVersion,
      width: WIDTH,
    };
    for (let attempt = 0; ; attempt++) {
      const token = await tokens.get();
      try {
        return await wechat.getUnlimitedQrCode(token, request);
      } catch (err) {
        if (!isWeChatError(err)) throw err;
        if (err.kind === 'token' && attempt === 0) {
          await tokens.invalidate(token); // replaced once, as for sends
          continue;
        }
        logger.warn(
          { api: 'getwxacodeunlimit', errcode: err.errcode, errmsg: err.errmsg },
          'WeChat did not make a console sign-in QR code',
        );
        const why =
          err instanceof WeChatApiError
            ? `getwxacodeunlimit answered errcode ${err.errcode}`
            : 'getwxacodeunlimit could not be reached';
        throw consoleQrcodeUnavailable(why, { cause: err });
      }
    }
  }
}
