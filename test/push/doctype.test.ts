import { XMLParser } from 'fast-xml-parser';
import request from 'supertest';
import {
  PUSH_XML_PARSER_OPTIONS,
  PushFormatError,
  parsePushBody,
  readEnvelopeEncrypt,
} from '../../src/push/push-message';
import { login, TEST_APPID, useSandbox, type TestInstance } from '../support/harness';
import { data, type QuotaView } from '../support/api-types';
import { PushRequests, type Push } from './push-requests';

// docs/architecture.md#message-push: no DOCTYPE or entity is ever expanded, however disguised, and
// in secure mode nothing but the envelope's Encrypt is read before msg_signature holds.

const TOKEN = 'doctypeToken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const T1 = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
const PATH = '/api/wx/message';
const wechat = new PushRequests({ token: TOKEN, aesKey: AES_KEY, appId: TEST_APPID });

/** The trick: the old guard took `<![CDATA[ … ]]>` across two comments for a CDATA section. */
const trick = (name: string, value: string) =>
  `<!-- <![CDATA[ --><!DOCTYPE xml [<!ENTITY ${name} "${value}">]><!-- ]]> -->`;

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof PushFormatError) return error.reason;
    throw error;
  }
  throw new Error('expected a PushFormatError, nothing was thrown');
}

describe('parsePushBody, XML with a markup declaration', () => {
  const body = '<xml><FromUserName>&e;</FromUserName></xml>';
  const laughs =
    '<!DOCTYPE xml [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' +
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>' +
    '<xml><a>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</a></xml>';
  it.each([
    ['hidden between two comments by a fake CDATA', trick('e', 'x') + body],
    ['inside a CDATA section', '<xml><a><![CDATA[<!DOCTYPE xml [<!ENTITY e "x">]>]]></a></xml>'],
    ['inside a comment', '<!-- <!DOCTYPE xml [<!ENTITY e "x">]> -->' + body],
    ['in lower case', '<!doctype xml [<!ENTITY e "x">]>' + body],
    ['in mixed case after a declaration', '<?xml version="1.0"?><!DocType xml [<!ENTITY e "x">]>' + body],
    ['with a space after <!', '<! DOCTYPE xml [<!ENTITY e "x">]>' + body],
    ['with parameter entities', `<!DOCTYPE xml [<!ENTITY % p "<!ENTITY e 'x'>"> %p;]>${body}`],
    ['with an external entity', '<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + body],
    ['as a billion laughs', laughs],
    ['as a bare ENTITY declaration in the root', '<xml><!ENTITY e "x"><a>&e;</a></xml>'],
  ])('refuses a DOCTYPE %s', (_name, raw) => {
    expect(failure(() => parsePushBody(raw, 'xml'))).toBe('bad_xml');
  });

  it('still reads comments and CDATA sections that declare nothing', () => {
    const raw = '<!-- a note --><xml><a><![CDATA[x <y> & z]]></a><!-- more --><b>1</b></xml>';
    expect(parsePushBody(raw, 'xml')).toEqual({ a: 'x <y> & z', b: '1' });
  });

  it('keeps entity references as written, never expanding them', () => {
    expect(parsePushBody('<xml><a>&e;</a><b>a &amp; b</b></xml>', 'xml')).toEqual({
      a: '&e;',
      b: 'a &amp; b',
    });
  });

  it('is backed by a parser that expands no DOCTYPE entity even when handed one', () => {
    // The second line of defence: the guard in front of it is not what keeps entities out.
    const parsed = new XMLParser(PUSH_XML_PARSER_OPTIONS).parse(
      '<!DOCTYPE xml [<!ENTITY e "expanded">]><xml><a>&e;</a></xml>',
    ) as { xml: { a: string } };
    expect(parsed.xml.a).toBe('&e;');
  });
});

describe('readEnvelopeEncrypt', () => {
  it('reads Encrypt from an XML or JSON envelope', () => {
    expect(readEnvelopeEncrypt('<xml><Encrypt><![CDATA[abc=]]></Encrypt></xml>', 'xml')).toBe('abc=');
    expect(readEnvelopeEncrypt('{"ToUserName":"gh","Encrypt":"abc="}', 'json')).toBe('abc=');
  });

  it('refuses an envelope whose Encrypt would come from an entity', () => {
    const raw = `${trick('e', 'abc=')}<xml><Encrypt>&e;</Encrypt></xml>`;
    expect(failure(() => readEnvelopeEncrypt(raw, 'xml'))).toBe('bad_xml');
  });
});

describe('POST /api/wx/message, a disguised DOCTYPE (4xx, ledger unchanged)', () => {
  const env = useSandbox();
  let plain: TestInstance;
  let secure: TestInstance;
  const sessions = { plain: '', secure: '' };
  let openid = '';

  beforeAll(async () => {
    plain = await env.start({ config: { wx: { token: TOKEN } }, start: false });
    secure = await env.start({
      config: { wx: { token: TOKEN, aesKey: AES_KEY } },
      start: false,
    });
    sessions.plain = await login(plain, 'doctype#1');
    sessions.secure = await login(secure, 'doctype#2');
    openid = (await plain.redis.hGet(plain.instance.keys.session(sessions.plain), 'openid')) ?? '';
    expect(openid).toMatch(/^o/);
  });

  const post = (t: TestInstance, push: Push) =>
    request(t.instance.app.callback())
      .post(PATH)
      .query(push.query)
      .set('Content-Type', push.type)
      .send(push.body);

  async function quota(t: TestInstance): Promise<number> {
    const token = t === plain ? sessions.plain : sessions.secure;
    const res = await request(t.instance.app.callback())
      .get('/api/subscriptions')
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    return data<QuotaView>(res).quota[T1] ?? 0;
  }

  /** A popup accept whose FromUserName is `from`, with `prolog` before <xml>. */
  const accept = (from: string, prolog = '') => prolog + wechat.statusXml('popup', from, T1, 'accept');

  /** Expects `push` refused with a 4xx and nothing granted, then `control` granting one. */
  async function expectRefused(t: TestInstance, push: Push, control: Push): Promise<void> {
    const before = await quota(t);
    const res = await post(t, push);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await quota(t)).toBe(before);
    expect((await post(t, control)).status).toBe(200);
    expect(await quota(t)).toBe(before + 1);
  }

  it('refuses it in plain mode, where the entity would name the user', async () => {
    await expectRefused(plain, wechat.plain(accept('&o;', trick('o', openid))), wechat.plain(accept(openid)));
  });

  it('refuses it in compatible mode, in the plain copy beside Encrypt', async () => {
    const make = (prolog: string) => {
      const push = wechat.encrypted(accept(openid), 'xml');
      const copy = accept(prolog ? '&o;' : openid, prolog);
      return {
        ...push,
        body: copy.replace('</xml>', `<Encrypt><![CDATA[${push.encrypt}]]></Encrypt></xml>`),
      };
    };
    await expectRefused(secure, make(trick('o', openid)), make(''));
  });

  it('refuses it in secure mode, in the envelope, before msg_signature is checked', async () => {
    const push = wechat.encrypted(accept(openid), 'xml');
    // Encrypt itself delivered through the entity: expanding it would make the signature hold.
    const body = `${trick('x', push.encrypt ?? '')}<xml><ToUserName>gh</ToUserName><Encrypt>&x;</Encrypt></xml>`;
    await expectRefused(secure, { ...push, body }, wechat.encrypted(accept(openid), 'xml'));
  });

  it('refuses it in secure mode, inside the decrypted message', async () => {
    await expectRefused(
      secure,
      wechat.encrypted(accept('&o;', trick('o', openid)), 'xml'),
      wechat.encrypted(accept(openid), 'xml'),
    );
  });
});
