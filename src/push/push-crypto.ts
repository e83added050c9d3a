import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signatures and AES for WeChat's message push (docs/wechat.md#message-push). Pure: no clock, no
 * I/O; the caller supplies timestamp and nonce, and may supply the 16 random bytes so replies are
 * reproducible.
 */

export type PushCryptoFailure =
  | 'bad_key' // the configured EncodingAESKey is unusable
  | 'no_key' // AES was asked for but no EncodingAESKey is configured (plain mode)
  | 'bad_base64'
  | 'bad_length'
  | 'bad_padding'
  | 'bad_utf8'
  | 'appid_mismatch';

export class PushCryptoError extends Error {
  override readonly name = 'PushCryptoError';

  constructor(
    readonly reason: PushCryptoFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface PushCryptoOptions {
  token: string; // the console's Token, 3-32 letters or digits
  encodingAesKey?: string; // 43 base64 characters; absent in plain mode
  appId: string;
}

export interface DecryptedPush {
  message: string;
  random: Buffer; // the 16 bytes WeChat put in front; never trusted, kept for tests and logs
  appId: string;
}

export interface EncryptedReply {
  Encrypt: string;
  MsgSignature: string;
  TimeStamp: number;
  Nonce: string;
}

// WeChat pads to 32-byte blocks although AES works on 16 (docs/wechat.md#aes).
const PAD_BLOCK = 32;
const RANDOM_BYTES = 16;
const HEADER_BYTES = RANDOM_BYTES + 4;
// Standard alphabet with '=' padding only: Buffer.from(…, 'base64') would silently skip junk.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const AES_KEY_CHARS = /^[A-Za-z0-9+/]{43}$/;
// fatal: garbage is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is message content, kept.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function sha1Hex(parts: string[]): string {
  // Default sort compares UTF-16 code units, which equals WeChat's byte order for ASCII inputs.
  return createHash('sha1').update(parts.sort().join('')).digest('hex');
}

function safeEqual(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // Length is public (always 40 hex chars), so leaving early on a mismatch leaks nothing.
  return a.length === b.length && timingSafeEqual(a, b);
}

function cdata(value: string): string {
  // A literal "]]>" would end the section early; split it across two sections instead.
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

export class PushCrypto {
  readonly #token: string;
  readonly #appId: string;
  readonly #appIdBytes: Buffer;
  readonly #key: Buffer | undefined;

  constructor(options: PushCryptoOptions) {
    if (!options.token) throw new TypeError('PushCrypto: token is required');
    if (!options.appId) throw new TypeError('PushCrypto: appId is required');
    this.#token = options.token;
    this.#appId = options.appId;
    this.#appIdBytes = Buffer.from(options.appId, 'utf8');
    this.#key = options.encodingAesKey === undefined ? undefined : decodeAesKey(options.encodingAesKey);
  }

  /** True when an EncodingAESKey is configured, i.e. compatible or secure mode is possible. */
  get canDecrypt(): boolean {
    return this.#key !== undefined;
  }

  signature(timestamp: string, nonce: string): string {
    return sha1Hex([this.#token, timestamp, nonce]);
  }

  verifySignature(signature: string, timestamp: string, nonce: string): boolean {
    return safeEqual(signature, this.signature(timestamp, nonce));
  }

  msgSignature(timestamp: string, nonce: string, encrypt: string): string {
    return sha1Hex([this.#token, timestamp, nonce, encrypt]);
  }

  verifyMsgSignature(msgSignature: string, timestamp: string, nonce: string, encrypt: string): boolean {
    return safeEqual(msgSignature, this.msgSignature(timestamp, nonce, encrypt));
  }

  /**
   * Decrypts an `Encrypt` field. Call it only after verifyMsgSignature: the signature is what
   * authenticates the ciphertext, so the padding errors below cannot serve as an oracle.
   */
  decrypt(encrypt: string): DecryptedPush {
    const key = this.#requireKey();
    if (typeof encrypt !== 'string' || !STRICT_BASE64.test(encrypt)) {
      throw new PushCryptoError('bad_base64', 'Encrypt is not valid standard base64');
    }
    const cipherText = Buffer.from(encrypt, 'base64');
    // Re-encoding also rejects stray low bits in the last character, which decoding drops.
    if (cipherText.toString('base64') !== encrypt) {
      throw new PushCryptoError('bad_base64', 'Encrypt is not canonical base64');
    }
    if (cipherText.length === 0 || cipherText.length % PAD_BLOCK !== 0) {
      throw new PushCryptoError(
        'bad_length',
        `ciphertext is ${cipherText.length} bytes, not a multiple of ${PAD_BLOCK}`,
      );
    }
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(cipherText), decipher.final()]);
    const plain = unpad(padded);

    if (plain.length < HEADER_BYTES) {
      throw new PushCryptoError('bad_length', 'plaintext is shorter than its header');
    }
    const messageLength = plain.readUInt32BE(RANDOM_BYTES);
    const messageEnd = HEADER_BYTES + messageLength;
    if (messageEnd > plain.length) {
      throw new PushCryptoError('bad_length', 'declared message length exceeds the plaintext');
    }
    // Bytes first: a foreign or garbled appid is the more telling failure than its encoding.
    if (!plain.subarray(messageEnd).equals(this.#appIdBytes)) {
      throw new PushCryptoError('appid_mismatch', 'decrypted appid is not ours');
    }
    let message: string;
    try {
      message = utf8.decode(plain.subarray(HEADER_BYTES, messageEnd));
    } catch {
      throw new PushCryptoError('bad_utf8', 'decrypted message is not valid UTF-8');
    }
    return { message, random: Buffer.from(plain.subarray(0, RANDOM_BYTES)), appId: this.#appId };
  }

  /** Encrypts a reply; `random` (16 bytes) defaults to fresh random bytes. */
  encrypt(message: string, random: Buffer = randomBytes(RANDOM_BYTES)): string {
    const key = this.#requireKey();
    if (random.length !== RANDOM_BYTES) {
      throw new RangeError(`PushCrypto.encrypt: random must be ${RANDOM_BYTES} bytes, got ${random.length}`);
    }
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const plain = pad(Buffer.concat([random, length, body, this.#appIdBytes]));
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
  }

  /** The JSON reply body for compatible/secure mode. */
  encryptReply(message: string, timestamp: string, nonce: string, random?: Buffer): EncryptedReply {
    if (!/^\d{1,15}$/.test(timestamp)) {
      throw new RangeError('PushCrypto.encryptReply: timestamp must be decimal seconds');
    }
    const Encrypt = this.encrypt(message, random);
    return {
      Encrypt,
      MsgSignature: this.msgSignature(timestamp, nonce, Encrypt),
      TimeStamp: Number(timestamp),
      Nonce: nonce,
    };
  }

  /** The XML reply body for compatible/secure mode. */
  encryptReplyXml(message: string, timestamp: string, nonce: string, random?: Buffer): string {
    const reply = this.encryptReply(message, timestamp, nonce, random);
    return (
      `<xml><Encrypt>${cdata(reply.Encrypt)}</Encrypt>` +
      `<MsgSignature>${cdata(reply.MsgSignature)}</MsgSignature>` +
      `<TimeStamp>${reply.TimeStamp}</TimeStamp>` +
      `<Nonce>${cdata(reply.Nonce)}</Nonce></xml>`
    );
  }

  #requireKey(): Buffer {
    if (this.#key === undefined) {
      throw new PushCryptoError('no_key', 'no EncodingAESKey configured: plain mode cannot decrypt');
    }
    return this.#key;
  }
}

function decodeAesKey(encodingAesKey: string): Buffer {
  // The message names the rule and the length seen, never the key itself.
  if (!AES_KEY_CHARS.test(encodingAesKey)) {
    throw new PushCryptoError(
      'bad_key',
      `EncodingAESKey must be exactly 43 base64 characters (A-Z a-z 0-9 + /); got ${encodingAesKey.length} characters`,
    );
  }
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) {
    throw new PushCryptoError('bad_key', `EncodingAESKey must decode to 32 bytes; got ${key.length}`);
  }
  return key;
}

function pad(data: Buffer): Buffer {
  // Always at least one byte of padding: a full block of 32 when already aligned.
  const count = PAD_BLOCK - (data.length % PAD_BLOCK);
  return Buffer.concat([data, Buffer.alloc(count, count)]);
}

function unpad(data: Buffer): Buffer {
  const count = data[data.length - 1] ?? 0;
  if (count < 1 || count > PAD_BLOCK) {
    throw new PushCryptoError('bad_padding', 'padding byte out of range');
  }
  for (let i = data.length - count; i < data.length; i++) {
    if (data[i] !== count) throw new PushCryptoError('bad_padding', 'padding bytes differ');
  }
  return data.subarray(0, data.length - count);
}
