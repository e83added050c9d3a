import { randomBytes } from 'node:crypto';
import {
  pushModeNotConfigured,
  pushMsgSignatureInvalid,
  pushNonceReplayed,
  pushNotConfigured,
  pushPlainRefused,
  pushSignatureInvalid,
  pushTimestampStale,
  pushUndecryptable,
  pushUnreadable,
  pushWithoutEncrypt,
  pushWrongApp,
  type AppError,
} from '../errors';
import type { Logger } from '../logger';
import { PushCrypto, PushCryptoError } from '../push/push-crypto';
import {
  PushFormatError,
  SUBSCRIBE_EVENTS,
  dedupKey,
  normalizePushMessage,
  parsePushBody,
  readEnvelopeEncrypt,
  type PushFormat,
  type PushMessage,
} from '../push/push-message';
import { NOTIFICATION_MSGID_PREFIX, type NotificationStore } from '../store/notification-store';
import type { ConfirmOutcome, LedgerOp, PushStore } from '../store/push-store';
import type { CustomerService } from './customer-service';
import { transferReply } from './customer-service-incoming';

export interface EchoQuery {
  signature: string;
  timestamp: string; // decimal seconds
  nonce: string;
  echostr: string;
}

export interface PushQuery {
  signature?: string; // plain mode; may accompany msg_signature
  timestamp: string; // decimal seconds
  nonce: string;
  encrypt_type?: 'aes' | 'raw';
  msg_signature?: string; // compatible/secure mode: over token, timestamp, nonce and Encrypt
}

export interface PushServiceDeps {
  token: string | undefined; // WX_TOKEN; unset → the push URL answers 503
  aesKey: string | undefined; // WX_AES_KEY; set → only encrypted (compatible/secure) pushes are accepted
  appId: string; // the appid every decrypted push must end with
  store: PushStore;
  logger: Logger;
  now: () => number;
  onDeliveryReport?: (report: { result: 'delivered' | 'failed'; errorCode: string }) => void; // metrics
  // Reports about a notification's send (its msgid link names it, src/store/notification-store.ts).
  notifications?: Pick<NotificationStore, 'confirm'>;
  // A notification's report applied (a notice's progress series); errors are the callee's.
  onNotificationReport?: (id: string, result: 'delivered' | 'failed') => Promise<void>;
  /** Whether the user erased their data (DELETE /api/me): pushes about them are then dropped. */
  isErased?: (openid: string) => Promise<boolean>;
  /** Customer-service messages and the bot (src/services/customer-service.ts). */
  customerService?: Pick<CustomerService, 'handles' | 'receive'>;
}

export type PushOutcome = 'processed' | 'duplicate' | 'ignored';

/** How the push URL answers: `success`, or a passive reply (customer service's transfer to agents). */
export interface PushAnswer {
  outcome: PushOutcome;
  reply?: { type: 'application/json' | 'text/xml'; body: string };
}

export const MAX_SKEW_SECONDS = 300; // a push's timestamp may be this far from our clock, either way
// A nonce must stay remembered while its timestamp is acceptable: up to 2 × the skew for a
// timestamp from the future.
const NONCE_TTL_SECONDS = 2 * MAX_SKEW_SECONDS;
const DEDUP_TTL_SECONDS = 24 * 3600; // WeChat retries within seconds; a day is ample
const OPENID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * WeChat's message push (docs/architecture.md#message-push, docs/wechat.md#message-push):
 * authenticates each request before anything else (signature in constant time, timestamp within 5
 * minutes, nonce unseen), then decrypts, parses, deduplicates WeChat's retries and applies
 * subscribe-message events.
 *
 * Processing happens before the route answers `success`, not after: it is one or two Redis round
 * trips (milliseconds, far below WeChat's 5 s), and answering only once the ledger is written
 * means a failure becomes a 5xx that WeChat retries instead of a grant silently lost after a
 * `success`. Ledger changes and their dedup mark are one Lua step, so a retry never counts twice.
 */
export class PushService {
  private readonly crypto: PushCrypto | undefined;

  constructor(private readonly deps: PushServiceDeps) {
    this.crypto = deps.token
      ? new PushCrypto({ token: deps.token, encodingAesKey: deps.aesKey, appId: deps.appId })
      : undefined;
  }

  /** The push crypto, or 503 when WX_TOKEN is unset; routes call it before reading anything. */
  requireConfigured(): PushCrypto {
    if (!this.crypto) throw pushNotConfigured();
    return this.crypto;
  }

  /**
   * GET verification: the echostr when the signature holds and the request is fresh. In plain mode
   * a GET's signature is exactly what a POST needs, so an unchecked GET would hand whoever saw it a
   * POST signature: its nonce is spent here like any push's.
   */
  async verifyEcho(query: EchoQuery, log: Logger = this.deps.logger): Promise<string> {
    const crypto = this.requireConfigured();
    if (!crypto.verifySignature(query.signature, query.timestamp, query.nonce)) {
      throw this.reject(log, 'bad_signature', pushSignatureInvalid());
    }
    this.checkTimestamp(query.timestamp, log);
    await this.claimNonce(query.nonce, log);
    return query.echostr;
  }

  /** Authenticates, decrypts, parses and applies one push; rejections are 4xx with nothing done. */
  async receive(
    query: PushQuery,
    body: string,
    format: PushFormat,
    log: Logger = this.deps.logger,
  ): Promise<PushAnswer> {
    const text = await this.authenticate(query, body, format, log);
    // The decrypted text's format is sniffed: WeChat encrypts what the console's data format says.
    const plainFormat = text.trimStart().startsWith('<') ? 'xml' : 'json';
    const message = this.read(log, () => normalizePushMessage(parsePushBody(text, plainFormat)));
    try {
      const outcome = await this.process(message, log);
      if (outcome !== 'transfer') return { outcome };
      const reply = transferReply(message, this.deps.now(), plainFormat);
      return { outcome: 'processed', reply: this.passive(reply, format, query.encrypt_type === 'aes') };
    } catch (err) {
      // Our failure (Redis): let WeChat's retry through, whether or not it reuses the nonce.
      await this.deps.store.releaseNonce(query.nonce).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Every check that needs no trust in the body, in an order where nothing of the body is parsed
   * before the signature covering it holds: the query (signature, timestamp), then in secure mode
   * only the envelope's Encrypt and its msg_signature, then the nonce (spent only by a request that
   * authenticated). Resolves the plaintext message.
   */
  private async authenticate(
    query: PushQuery,
    body: string,
    format: PushFormat,
    log: Logger,
  ): Promise<string> {
    const crypto = this.requireConfigured();
    const { timestamp, nonce } = query;
    const secure = query.encrypt_type === 'aes';
    // The plain signature covers only token, timestamp and nonce: checked before the body is read.
    if (query.signature !== undefined && !crypto.verifySignature(query.signature, timestamp, nonce)) {
      throw this.reject(log, 'bad_signature', pushSignatureInvalid());
    }
    this.checkTimestamp(timestamp, log);
    let encrypt: string | undefined;
    if (secure) {
      encrypt = this.envelopeEncrypt(body, format, log);
      if (!crypto.verifyMsgSignature(query.msg_signature ?? '', timestamp, nonce, encrypt)) {
        throw this.reject(log, 'bad_msg_signature', pushMsgSignatureInvalid());
      }
      if (!crypto.canDecrypt) throw this.reject(log, 'no_aes_key', pushModeNotConfigured());
    } else if (crypto.canDecrypt) {
      // With an AES key configured the console is in compatible or secure mode, where WeChat always
      // encrypts; a plain body is covered by no signature at all, so it is not trusted.
      throw this.reject(log, 'plain_refused', pushPlainRefused());
    }
    await this.claimNonce(nonce, log);
    if (encrypt === undefined) return body;
    try {
      return crypto.decrypt(encrypt).message;
    } catch (err) {
      if (!(err instanceof PushCryptoError)) throw err;
      if (err.reason === 'appid_mismatch') {
        throw this.reject(log, err.reason, pushWrongApp());
      }
      throw this.reject(log, err.reason, pushUndecryptable());
    }
  }

  private checkTimestamp(timestamp: string, log: Logger): void {
    const skew = Math.abs(this.deps.now() / 1000 - Number(timestamp));
    if (!(skew <= MAX_SKEW_SECONDS)) {
      throw this.reject(log, 'stale_timestamp', pushTimestampStale());
    }
  }

  /** Spends a nonce; GETs and POSTs share one namespace, so neither can replay the other. */
  private async claimNonce(nonce: string, log: Logger): Promise<void> {
    if (!(await this.deps.store.claimNonce(nonce, NONCE_TTL_SECONDS))) {
      throw this.reject(log, 'replayed_nonce', pushNonceReplayed());
    }
  }

  /** Runs a parse step; a body we cannot read is a 400 with nothing done. */
  private read<T>(log: Logger, parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof PushFormatError)) throw err;
      throw this.reject(log, err.reason, pushUnreadable(err.message));
    }
  }

  /** The Encrypt field of an encrypted push's envelope (its other fields are not trusted). */
  private envelopeEncrypt(body: string, format: PushFormat, log: Logger): string {
    const encrypt = this.read(log, () => readEnvelopeEncrypt(body, format));
    if (encrypt !== undefined) return encrypt;
    throw this.reject(log, 'missing_encrypt', pushWithoutEncrypt());
  }

  /** A passive reply, encrypted (in the envelope's format) when the push was. */
  private passive(plain: { text: string; format: PushFormat }, format: PushFormat, encrypted: boolean) {
    const type = (f: PushFormat) =>
      (f === 'json' ? 'application/json' : 'text/xml') as 'application/json' | 'text/xml';
    if (!encrypted) return { type: type(plain.format), body: plain.text };
    const crypto = this.requireConfigured();
    const timestamp = String(Math.floor(this.deps.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    const body =
      format === 'json'
        ? JSON.stringify(crypto.encryptReply(plain.text, timestamp, nonce))
        : crypto.encryptReplyXml(plain.text, timestamp, nonce);
    return { type: type(format), body };
  }

  private async process(message: PushMessage, log: Logger): Promise<PushOutcome | 'transfer'> {
    const key = dedupKey(message);
    const about = { msgType: message.msgType, event: message.event };
    if (!OPENID.test(message.fromUserName)) {
      log.warn(about, 'push ignored: FromUserName is not an openid');
      return 'ignored';
    }
    // Before anything is recorded: nothing about an erased person is stored again (not even the
    // dedup mark), until they log in again.
    if (await this.deps.isErased?.(message.fromUserName)) {
      log.info(about, 'push dropped: the user erased their data');
      return 'ignored';
    }
    const service = this.deps.customerService;
    if (service?.handles(message)) {
      const answer = await service.receive(message, log);
      return answer.transfer ? 'transfer' : answer.outcome;
    }
    switch (message.event) {
      case SUBSCRIBE_EVENTS.popup: {
        for (const item of message.items.filter((i) => i.status !== 'accept')) {
          log.info(
            { ...about, templateId: item.templateId, status: item.status },
            'subscription not granted',
          );
        }
        const grants = message.items.filter((i) => i.status === 'accept');
        return this.applyLedger(
          message,
          key,
          grants.map((i) => ({ op: 'grant', templateId: i.templateId })),
          log,
        );
      }
      case SUBSCRIBE_EVENTS.change: {
        const rejects = message.items.filter((i) => i.status === 'reject');
        return this.applyLedger(
          message,
          key,
          rejects.map((i) => ({ op: 'zero', templateId: i.templateId })),
          log,
        );
      }
      case SUBSCRIBE_EVENTS.sent:
        return this.confirmSent(message, key, log);
      default:
        if (!(await this.deps.store.claimPush(key, DEDUP_TTL_SECONDS))) return 'duplicate';
        log.info(about, 'push ignored: not a subscribe-message event');
        return 'ignored';
    }
  }

  private async applyLedger(
    message: PushMessage,
    key: string,
    ops: LedgerOp[],
    log: Logger,
  ): Promise<PushOutcome> {
    const applied = await this.deps.store.applyLedgerEvent(key, DEDUP_TTL_SECONDS, message.fromUserName, ops);
    log.info({ event: message.event, ops, duplicate: !applied }, 'subscription event');
    return applied ? 'processed' : 'duplicate';
  }

  private confirmNotification(
    id: string,
    msgid: string,
    openid: string,
    report: Parameters<NotificationStore['confirm']>[3],
  ): Promise<ConfirmOutcome> {
    return this.deps.notifications
      ? this.deps.notifications.confirm(id, msgid, openid, report)
      : Promise.resolve('missing');
  }

  private async confirmSent(message: PushMessage, key: string, log: Logger): Promise<PushOutcome> {
    const { store, now } = this.deps;
    if (!(await store.claimPush(key, DEDUP_TTL_SECONDS))) return 'duplicate';
    const created = Number(message.createTime) * 1000;
    const at = new Date(Number.isFinite(created) && created > 0 ? created : now()).toISOString();
    try {
      for (const item of message.items) {
        const occurrence = item.msgId
          ? await store.occurrenceOfMsgid(message.fromUserName, item.msgId)
          : null;
        if (!item.msgId || !occurrence) {
          log.info({ msgid: item.msgId, templateId: item.templateId }, 'sent event for an unknown msgid');
          continue;
        }
        const errorCode = item.errorCode ?? '';
        const report = {
          confirmed: { at, errorCode, status: item.status },
          // An absent or empty ErrorCode says nothing went wrong; anything but 0 is WeChat's failure.
          failed: errorCode !== '' && !/^[+-]?0+$/.test(errorCode),
          errcode: /^-?\d{1,9}$/.test(errorCode) ? Number(errorCode) : null,
          now: now(),
        };
        const outcome = occurrence.startsWith(NOTIFICATION_MSGID_PREFIX)
          ? await this.confirmNotification(
              occurrence.slice(NOTIFICATION_MSGID_PREFIX.length),
              item.msgId,
              message.fromUserName,
              report,
            )
          : await store.confirmDelivery(occurrence, item.msgId, message.fromUserName, report);
        if (outcome === 'delivered' || outcome === 'failed') {
          this.deps.onDeliveryReport?.({ result: outcome, errorCode });
          if (occurrence.startsWith(NOTIFICATION_MSGID_PREFIX)) {
            await this.deps.onNotificationReport?.(
              occurrence.slice(NOTIFICATION_MSGID_PREFIX.length),
              outcome,
            );
          }
        }
        const fields = { occurrence, msgid: item.msgId, errorCode, status: item.status, outcome };
        if (outcome === 'failed') log.warn(fields, 'WeChat reports the delivery failed');
        else log.info(fields, 'delivery confirmed');
      }
    } catch (err) {
      await store.releasePush(key).catch(() => undefined);
      throw err;
    }
    return 'processed';
  }

  /** Logs why a push was refused (never the token, the key, the body or Encrypt). */
  private reject(log: Logger, reason: string, error: AppError): AppError {
    log.warn({ reason, status: error.status }, 'push rejected');
    return error;
  }
}
