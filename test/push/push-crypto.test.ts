import { createCipheriv } from 'node:crypto';

import { PushCrypto, PushCryptoError } from '../../src/push/push-crypto';
import { extractEncrypt, normalizePushMessage, parsePushBody } from '../../src/push/push-message';
import { bizMsgCryptSample, officialJson, wechatpyWork, wxJavaCryptUtil } from './vectors';

const official = new PushCrypto(officialJson);
const ascii = (s: string): Buffer => Buffer.from(s, 'ascii');

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof PushCryptoError) return error.reason;
    throw error;
  }
  throw new Error('expected a PushCryptoError, nothing was thrown');
}

/** AES-256-CBC without any padding logic, to hand the decrypter plaintexts PushCrypto never makes. */
function rawEncrypt(encodingAesKey: string, plain: Buffer): string {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

function frame(message: Buffer, appId: string, padTo = 32): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const body = Buffer.concat([ascii('0123456789abcdef'), length, message, ascii(appId)]);
  const count = padTo - (body.length % padTo);
  return Buffer.concat([body, Buffer.alloc(count, count)]);
}

describe('PushCrypto', () => {
  // docs/wechat.md#test-vectors
  describe("WeChat's documented vectors", () => {
    it('computes the GET verification signature', () => {
      const { timestamp, nonce, signature } = officialJson.verify;
      expect(official.signature(timestamp, nonce)).toBe(signature);
      expect(official.verifySignature(signature, timestamp, nonce)).toBe(true);
    });

    it('verifies the secure-mode signature and msg_signature', () => {
      const { timestamp, nonce, signature, msgSignature, encrypt } = officialJson.push;
      expect(official.signature(timestamp, nonce)).toBe(signature);
      expect(official.msgSignature(timestamp, nonce, encrypt)).toBe(msgSignature);
      expect(official.verifySignature(signature, timestamp, nonce)).toBe(true);
      expect(official.verifyMsgSignature(msgSignature, timestamp, nonce, encrypt)).toBe(true);
    });

    it('decrypts the official secure-mode vector byte for byte', () => {
      const decrypted = official.decrypt(officialJson.push.encrypt);
      expect(decrypted.random.equals(ascii(officialJson.push.random))).toBe(true);
      expect(decrypted.message).toBe(officialJson.push.message);
      expect(decrypted.appId).toBe(officialJson.appId);
    });

    it('encrypts the official reply to exactly the documented Encrypt and MsgSignature', () => {
      const { message, random, timestamp, nonce, encrypt, msgSignature } = officialJson.reply;
      expect(official.encrypt(message, ascii(random))).toBe(encrypt);
      expect(official.encryptReply(message, timestamp, nonce, ascii(random))).toEqual({
        Encrypt: encrypt,
        MsgSignature: msgSignature,
        TimeStamp: 1713424427,
        Nonce: nonce,
      });
    });

    it('renders the XML reply with CDATA strings and a numeric TimeStamp', () => {
      const { message, random, timestamp, nonce, encrypt, msgSignature } = officialJson.reply;
      expect(official.encryptReplyXml(message, timestamp, nonce, ascii(random))).toBe(
        `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${msgSignature}]]></MsgSignature>` +
          `<TimeStamp>1713424427</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`,
      );
    });

    it('reads its own XML reply back through the push parser', () => {
      const xml = official.encryptReplyXml('ok', '1713424427', 'n]]>x');
      const body = parsePushBody(xml, 'xml');
      expect(body['Nonce']).toBe('n]]>x');
      expect(official.decrypt(extractEncrypt(body) ?? '').message).toBe('ok');
    });
  });

  describe("other SDKs' vectors", () => {
    it("decrypts WeChat's WXBizMsgCrypt sample: an XML push with another key", () => {
      const v = bizMsgCryptSample;
      const crypto = new PushCrypto(v);
      const encrypt = extractEncrypt(parsePushBody(v.body, 'xml')) ?? '';
      expect(crypto.verifyMsgSignature(v.msgSignature, v.timestamp, v.nonce, encrypt)).toBe(true);
      const decrypted = crypto.decrypt(encrypt);
      expect(decrypted.appId).toBe(v.appId);
      const inner = normalizePushMessage(parsePushBody(decrypted.message, 'xml'));
      expect(inner).toMatchObject({
        msgType: 'text',
        msgId: '6054768590064713728',
        createTime: '1409735668',
      });
      expect(inner.raw['Content']).toBe('abcdteT');
    });

    it("encrypts WxJava's UTF-8 vectors exactly and decrypts them back", () => {
      const v = wxJavaCryptUtil;
      const crypto = new PushCrypto(v);
      for (const { message, encrypt } of [v.short, v.xml]) {
        expect(crypto.encrypt(message, ascii(v.random))).toBe(encrypt);
        const decrypted = crypto.decrypt(encrypt);
        expect(decrypted.message).toBe(message);
        expect(decrypted.random.toString('ascii')).toBe(v.random);
      }
    });

    it("matches wechatpy's reply vector and decrypts its XML push", () => {
      const v = wechatpyWork;
      const crypto = new PushCrypto(v);
      const { reply, push } = v;
      expect(crypto.encryptReply(reply.message, reply.timestamp, reply.nonce, ascii(reply.random))).toEqual({
        Encrypt: reply.encrypt,
        MsgSignature: reply.msgSignature,
        TimeStamp: 1411525903,
        Nonce: reply.nonce,
      });
      const encrypt = extractEncrypt(parsePushBody(push.body, 'xml')) ?? '';
      expect(crypto.verifyMsgSignature(push.msgSignature, push.timestamp, push.nonce, encrypt)).toBe(true);
      const inner = parsePushBody(crypto.decrypt(encrypt).message, 'xml');
      expect(inner).toMatchObject({
        Content: 'test',
        FromUserName: 'messense',
        MsgId: '4363689963896700987',
      });
    });
  });

  describe('round trips', () => {
    const lengths = Array.from({ length: 101 }, (_, n) => n);

    it.each(lengths)('round-trips an ASCII message of %i bytes with 1..32 bytes of padding', (n) => {
      const message = 'x'.repeat(n);
      const encrypt = official.encrypt(message);
      const plainLength = 20 + n + officialJson.appId.length;
      expect(Buffer.from(encrypt, 'base64').length).toBe((Math.floor(plainLength / 32) + 1) * 32);
      expect(official.decrypt(encrypt).message).toBe(message);
    });

    it.each(Array.from({ length: 40 }, (_, n) => n))('round-trips %i Chinese characters', (n) => {
      const message = '提醒'.repeat(n).slice(0, n);
      expect(Buffer.byteLength(message)).toBe(3 * n);
      expect(official.decrypt(official.encrypt(message)).message).toBe(message);
    });

    it('round-trips four-byte UTF-8, a leading BOM and mixed text in XML and JSON replies', () => {
      for (const message of [
        '⏰ 到点了 🎉',
        '<xml><Content><![CDATA[你好 👋]]></Content></xml>',
        '{"a":"é"}',
        '\uFEFFbom',
      ]) {
        const reply = official.encryptReply(message, '1713424427', '42');
        expect(official.verifyMsgSignature(reply.MsgSignature, '1713424427', '42', reply.Encrypt)).toBe(true);
        expect(official.decrypt(reply.Encrypt).message).toBe(message);
      }
    });

    it('draws a fresh random for every encryption', () => {
      const a = official.encrypt('same');
      const b = official.encrypt('same');
      expect(a).not.toBe(b);
      expect(official.decrypt(a).random.equals(official.decrypt(b).random)).toBe(false);
    });
  });

  describe('rejections', () => {
    it('rejects a message encrypted for another appid', () => {
      const other = new PushCrypto({ ...officialJson, appId: 'wx0000000000000000' });
      expect(reasonOf(() => official.decrypt(other.encrypt('hello')))).toBe('appid_mismatch');
    });

    it('rejects a tampered ciphertext, which also fails msg_signature', () => {
      const { encrypt, timestamp, nonce } = officialJson.push;
      const bytes = Buffer.from(encrypt, 'base64');
      const tamper = (index: number): string => {
        const copy = Buffer.from(bytes);
        copy[index] = (copy[index] ?? 0) ^ 0x01;
        return copy.toString('base64');
      };
      // Flipping the penultimate block's last byte flips the pad count; the last block turns to noise.
      expect(reasonOf(() => official.decrypt(tamper(bytes.length - 33)))).toBe('bad_padding');
      expect(reasonOf(() => official.decrypt(tamper(bytes.length - 1)))).toBe('bad_padding');
      // Flipping the ciphertext byte one block above the appid's last character changes the appid.
      const appIdEnd = 20 + Buffer.byteLength(officialJson.push.message) + officialJson.appId.length;
      expect(bytes.length - appIdEnd).toBeLessThan(32);
      expect(reasonOf(() => official.decrypt(tamper(appIdEnd - 1 - 32)))).toBe('appid_mismatch');
      for (const index of [0, 40, bytes.length - 1]) {
        expect(
          official.verifyMsgSignature(officialJson.push.msgSignature, timestamp, nonce, tamper(index)),
        ).toBe(false);
      }
    });

    it.each([
      ['junk characters', '!!!!'],
      ['the URL-safe alphabet', officialJson.reply.encrypt.replace(/\+/g, '-')],
      ['a missing padding character', officialJson.reply.encrypt.slice(0, -1)],
      ['embedded whitespace', ` ${officialJson.reply.encrypt}`],
      ['stray bits in the last character', officialJson.reply.encrypt.replace(/Q==$/, 'R==')],
    ])('rejects broken base64: %s', (_name, encrypt) => {
      expect(reasonOf(() => official.decrypt(encrypt))).toBe('bad_base64');
    });

    it('rejects ciphertexts that are not whole 32-byte blocks', () => {
      expect(reasonOf(() => official.decrypt(''))).toBe('bad_length');
      expect(reasonOf(() => official.decrypt(Buffer.alloc(16).toString('base64')))).toBe('bad_length');
      expect(reasonOf(() => official.decrypt(Buffer.alloc(48).toString('base64')))).toBe('bad_length');
    });

    it('rejects pad bytes out of 1..32 or unequal', () => {
      const key = officialJson.encodingAesKey;
      const good = frame(ascii('hi'), officialJson.appId);
      const withTail = (tail: number[]): string =>
        rawEncrypt(key, Buffer.concat([good.subarray(0, good.length - tail.length), Buffer.from(tail)]));
      expect(reasonOf(() => official.decrypt(withTail([0])))).toBe('bad_padding');
      expect(reasonOf(() => official.decrypt(withTail([33])))).toBe('bad_padding');
      expect(reasonOf(() => official.decrypt(withTail([7, 9, 9, 9, 9, 9, 9, 9, 9])))).toBe('bad_padding');
      expect(official.decrypt(rawEncrypt(key, good)).message).toBe('hi');
    });

    it('rejects a declared length beyond the plaintext and a plaintext shorter than its header', () => {
      const key = officialJson.encodingAesKey;
      const long = frame(ascii('hi'), officialJson.appId);
      long.writeUInt32BE(1000, 16);
      expect(reasonOf(() => official.decrypt(rawEncrypt(key, long)))).toBe('bad_length');
      expect(reasonOf(() => official.decrypt(rawEncrypt(key, Buffer.alloc(32, 32))))).toBe('bad_length');
    });

    it('rejects a message that is not UTF-8', () => {
      const plain = frame(Buffer.from([0xff, 0xfe]), officialJson.appId);
      expect(reasonOf(() => official.decrypt(rawEncrypt(officialJson.encodingAesKey, plain)))).toBe(
        'bad_utf8',
      );
    });

    it('rejects a wrong signature and a signature of the wrong length', () => {
      const { timestamp, nonce, signature, msgSignature, encrypt } = officialJson.push;
      expect(official.verifySignature(signature, timestamp, '415670742')).toBe(false);
      expect(official.verifySignature(signature.replace(/^6/, '7'), timestamp, nonce)).toBe(false);
      expect(official.verifySignature(signature.slice(0, -1), timestamp, nonce)).toBe(false);
      expect(official.verifySignature(`${signature}0`, timestamp, nonce)).toBe(false);
      expect(official.verifySignature('', timestamp, nonce)).toBe(false);
      expect(official.verifySignature(signature.toUpperCase(), timestamp, nonce)).toBe(false);
      expect(official.verifyMsgSignature(signature, timestamp, nonce, encrypt)).toBe(false);
      expect(official.verifyMsgSignature(msgSignature.slice(1), timestamp, nonce, encrypt)).toBe(false);
      expect(
        new PushCrypto({ ...officialJson, token: 'BBBBB' }).verifySignature(signature, timestamp, nonce),
      ).toBe(false);
    });

    it.each([
      ['42 characters', 'A'.repeat(42)],
      ['44 characters', 'A'.repeat(44)],
      ['a character outside base64', `${'A'.repeat(42)}-`],
      ['trailing padding', `${'A'.repeat(42)}=`],
    ])('refuses an EncodingAESKey of %s without echoing it', (_name, encodingAesKey) => {
      let error: unknown;
      try {
        new PushCrypto({ ...officialJson, encodingAesKey });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(PushCryptoError);
      expect((error as PushCryptoError).reason).toBe('bad_key');
      expect((error as PushCryptoError).message).toMatch(/43/);
      expect((error as PushCryptoError).message).not.toContain(encodingAesKey);
    });

    it('never puts the key into an error message', () => {
      const key = 'Xk9dQ2pL7vR4tY8wZ1aB3cD5eF6gH0iJ2kL4mN6oP8q';
      const crypto = new PushCrypto({ token: 't0k3n', encodingAesKey: key, appId: 'wx1' });
      const keyBase64 = Buffer.from(`${key}=`, 'base64').toString('base64');
      for (const input of ['%%%', Buffer.alloc(32).toString('base64'), official.encrypt('x')]) {
        try {
          crypto.decrypt(input);
        } catch (error) {
          expect(String(error)).not.toContain(key);
          expect(String(error)).not.toContain(keyBase64.slice(0, 20));
        }
      }
    });

    it('refuses AES without a key, a random of the wrong size and a non-numeric timestamp', () => {
      const plain = new PushCrypto({ token: 'AAAAA', appId: 'wx1' });
      expect(plain.canDecrypt).toBe(false);
      expect(plain.verifySignature(officialJson.verify.signature, '1714036504', '1514711492')).toBe(true);
      expect(reasonOf(() => plain.decrypt(officialJson.push.encrypt))).toBe('no_key');
      expect(() => official.encrypt('x', Buffer.alloc(15))).toThrow(RangeError);
      expect(() => official.encryptReply('x', 'soon', '1')).toThrow(RangeError);
    });
  });
});
