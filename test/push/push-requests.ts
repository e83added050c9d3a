import { PushCrypto } from '../../src/push/push-crypto';

/** A push request as WeChat would send it to /api/wx/message. */
export interface Push {
  query: Record<string, string>;
  body: string;
  type: string; // Content-Type
  encrypt?: string; // the Encrypt field, for secure-mode pushes
}

const GH = 'gh_123456789abc';

/** Builds signed (and encrypted) message pushes for one token, AES key and appid, as WeChat does. */
export class PushRequests {
  readonly crypto: PushCrypto;
  readonly ciphertexts: string[] = []; // every Encrypt built, to check none reaches the logs
  private readonly plainCrypto: PushCrypto;
  private seq = 0;

  constructor(options: { token: string; aesKey: string; appId: string }) {
    this.crypto = new PushCrypto({
      token: options.token,
      encodingAesKey: options.aesKey,
      appId: options.appId,
    });
    this.plainCrypto = new PushCrypto({ token: options.token, appId: options.appId });
  }

  /** A CreateTime no other event of the run has, so each built event is a distinct push. */
  createTime(): string {
    return String(1_700_000_000 + ++this.seq);
  }

  popupJson(
    from: string,
    items: [templateId: string, status: string][],
    createTime = this.createTime(),
  ): string {
    const list = items.map(([id, status]) => ({
      TemplateId: id,
      SubscribeStatusString: status,
      PopupScene: '0',
    }));
    return JSON.stringify({
      ToUserName: GH,
      FromUserName: from,
      CreateTime: Number(createTime),
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      List: list.length === 1 ? list[0] : list,
    });
  }

  /** A popup (wrapper SubscribeMsgPopupEvent) or change (SubscribeMsgChangeEvent) event in XML. */
  statusXml(
    kind: 'popup' | 'change',
    from: string,
    templateId: string,
    status: string,
    createTime = this.createTime(),
  ) {
    const [event, wrapper] =
      kind === 'popup'
        ? ['subscribe_msg_popup_event', 'SubscribeMsgPopupEvent']
        : ['subscribe_msg_change_event', 'SubscribeMsgChangeEvent'];
    return (
      `<xml><ToUserName><![CDATA[${GH}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName>` +
      `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>` +
      `<${wrapper}><List><TemplateId><![CDATA[${templateId}]]></TemplateId>` +
      `<SubscribeStatusString><![CDATA[${status}]]></SubscribeStatusString></List></${wrapper}></xml>`
    );
  }

  /** A secure-mode push of `message`, encrypted by `with` (default: ours), timestamped `skew` s off now. */
  encrypted(
    message: string,
    format: 'json' | 'xml',
    options: { skew?: number; with?: PushCrypto } = {},
  ): Push {
    const { timestamp, nonce } = this.fresh(options.skew);
    const encrypt = (options.with ?? this.crypto).encrypt(message);
    this.ciphertexts.push(encrypt);
    const query = {
      signature: this.crypto.signature(timestamp, nonce),
      timestamp,
      nonce,
      encrypt_type: 'aes',
      msg_signature: this.crypto.msgSignature(timestamp, nonce, encrypt),
    };
    const body =
      format === 'json'
        ? JSON.stringify({ ToUserName: GH, Encrypt: encrypt })
        : `<xml><ToUserName><![CDATA[${GH}]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    return { query, body, type: format === 'json' ? 'application/json' : 'text/xml', encrypt };
  }

  /** A plain-mode push: only the query's signature, over token, timestamp and nonce. */
  plain(message: string, type = 'text/xml'): Push {
    const { timestamp, nonce } = this.fresh();
    return {
      query: { signature: this.plainCrypto.signature(timestamp, nonce), timestamp, nonce },
      body: message,
      type,
    };
  }

  /** The push with its Encrypt replaced, re-signed or not (then only decryption can catch it). */
  withEncrypt(push: Push, encrypt: string, resign: boolean): Push {
    const { timestamp = '', nonce = '' } = push.query;
    const msg_signature = resign
      ? this.crypto.msgSignature(timestamp, nonce, encrypt)
      : push.query.msg_signature;
    return withQuery(
      { ...push, encrypt, body: JSON.stringify({ ToUserName: GH, Encrypt: encrypt }) },
      { msg_signature },
    );
  }

  private fresh(skewSeconds = 0): { timestamp: string; nonce: string } {
    return {
      timestamp: String(Math.floor(Date.now() / 1000) + skewSeconds),
      nonce: `${Date.now()}${++this.seq}`,
    };
  }
}

/** The push with query parameters changed; undefined removes one. */
export function withQuery(push: Push, change: Record<string, string | undefined>): Push {
  const entries = Object.entries({ ...push.query, ...change });
  return {
    ...push,
    query: Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined)),
  };
}

/** One character of a base64 string changed, keeping it valid base64. */
export function flip(text: string, at: number): string {
  return text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
}
