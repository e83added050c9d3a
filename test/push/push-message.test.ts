import { PushCrypto } from '../../src/push/push-crypto';
import {
  PushFormatError,
  dedupKey,
  extractEncrypt,
  normalizePushMessage,
  parsePushBody,
} from '../../src/push/push-message';
import { changeItemXml, jsonHead, popupOneXml, popupTwoXml, sentXml, xmlHead } from './event-samples';
import { officialJson } from './vectors';

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof PushFormatError) return error.reason;
    throw error;
  }
  throw new Error('expected a PushFormatError, nothing was thrown');
}

const accept = { templateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc', status: 'accept' };

describe('parsePushBody', () => {
  it('reads XML fields as strings, CDATA unwrapped, ids digit for digit, entities as written', () => {
    const body = parsePushBody(
      '<?xml version="1.0"?><xml><MsgId>6054768590064713728</MsgId><CreateTime>1409735668</CreateTime>' +
        '<Content><![CDATA[ two  spaces ]]></Content><Title>a &amp; b</Title><Empty></Empty></xml>',
      'xml',
    );
    expect(body).toEqual({
      MsgId: '6054768590064713728',
      CreateTime: '1409735668',
      Content: ' two  spaces ',
      Title: 'a &amp; b', // no entity is ever expanded (doctype.test.ts); WeChat's text comes in CDATA
      Empty: '',
    });
  });

  it('keeps a bare JSON big integer as its exact digits', () => {
    const body = parsePushBody(
      `{${jsonHead},"MsgId":1864323726461255680,"List":{"MsgID":1864323726461255681}}`,
      'json',
    );
    expect(body['MsgId']).toBe('1864323726461255680');
    expect(body['CreateTime']).toBe('1620963428');
    expect(body['List']).toEqual({ MsgID: '1864323726461255681' });
  });

  it('keeps every JSON number as its source text and leaves other values alone', () => {
    const body = parsePushBody('{"a":-0.50,"b":1e400,"c":"7","d":true,"e":null,"f":"中文"}', 'json');
    expect(body).toEqual({ a: '-0.50', b: '1e400', c: '7', d: true, e: null, f: '中文' });
  });

  it('refuses a DOCTYPE even quoted inside CDATA (the guard decides nothing about sections)', () => {
    const raw = '<xml><Content><![CDATA[<!DOCTYPE html>]]></Content></xml>';
    expect(failure(() => parsePushBody(raw, 'xml'))).toBe('bad_xml');
  });

  it('accepts a leading byte-order mark and an empty <xml/>', () => {
    expect(parsePushBody('\uFEFF{"a":1}', 'json')).toEqual({ a: '1' });
    expect(parsePushBody('<xml></xml>', 'xml')).toEqual({});
  });

  it.each([
    ['an unclosed tag', '<xml><a></xml>'],
    ['plain text', 'not xml'],
    ['an empty body', ''],
    ['a root other than <xml>', '<root><a>1</a></root>'],
    ['two roots', '<xml></xml><xml></xml>'],
    ['text in the root', '<xml>hello</xml>'],
    ['a DOCTYPE', '<!DOCTYPE xml [<!ENTITY e "x">]><xml><a>&e;</a></xml>'],
    ['a __proto__ element', '<xml><__proto__><polluted>1</polluted></__proto__></xml>'],
  ])('rejects XML with %s', (_name, raw) => {
    expect(failure(() => parsePushBody(raw, 'xml'))).toBe('bad_xml');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['truncated JSON', '{"a":1', 'bad_json'],
    ['trailing garbage', '{"a":1} x', 'bad_json'],
    ['an empty body', '', 'bad_json'],
    ['an array root', '[{"a":1}]', 'not_an_object'],
    ['a null root', 'null', 'not_an_object'],
    ['a string root', '"x"', 'not_an_object'],
    ['a key given twice with different values', '{"MsgType":"text","MsgType":"event"}', 'bad_json'],
  ])('rejects JSON with %s', (_name, raw, reason) => {
    expect(failure(() => parsePushBody(raw, 'json'))).toBe(reason);
  });
});

describe('extractEncrypt', () => {
  it('finds Encrypt in XML and JSON bodies and nothing in plain ones', () => {
    expect(
      extractEncrypt(
        parsePushBody('<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[abc=]]></Encrypt></xml>', 'xml'),
      ),
    ).toBe('abc=');
    expect(extractEncrypt(parsePushBody('{"ToUserName":"gh","Encrypt":"abc="}', 'json'))).toBe('abc=');
    expect(extractEncrypt(parsePushBody(popupOneXml, 'xml'))).toBeUndefined();
  });

  it('refuses two Encrypt elements', () => {
    const body = parsePushBody('<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>', 'xml');
    expect(failure(() => extractEncrypt(body))).toBe('bad_field');
  });
});

describe('normalizePushMessage', () => {
  it('normalizes a popup event with one XML List', () => {
    const msg = normalizePushMessage(parsePushBody(popupOneXml, 'xml'));
    expect(msg).toMatchObject({
      toUserName: 'gh_123456789abc',
      fromUserName: 'otFpruAK8D-E6EfStSYonYSBZ8_4',
      createTime: '1610969440',
      msgType: 'event',
      event: 'subscribe_msg_popup_event',
    });
    expect(msg.msgId).toBeUndefined();
    expect(msg.items).toEqual([{ ...accept, popupScene: '0' }]);
  });

  it('normalizes a popup event with several XML Lists, in order', () => {
    expect(normalizePushMessage(parsePushBody(popupTwoXml, 'xml')).items).toEqual([
      { ...accept, popupScene: '2' },
      { templateId: '9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI', status: 'reject', popupScene: '2' },
    ]);
  });

  it('normalizes a change event under its own wrapper or the popup wrapper', () => {
    const expected = [{ templateId: 'BEwX0BOT3MqK3Uc5oTU3CGBqzjpndk2jzUf7VfExd8', status: 'reject' }];
    for (const wrapper of ['SubscribeMsgChangeEvent', 'SubscribeMsgPopupEvent']) {
      const xml = `${xmlHead('subscribe_msg_change_event')}<${wrapper}>${changeItemXml}</${wrapper}></xml>`;
      expect(normalizePushMessage(parsePushBody(xml, 'xml')).items).toEqual(expected);
    }
  });

  it('normalizes a sent event with its 64-bit MsgID as a string', () => {
    const msg = normalizePushMessage(parsePushBody(sentXml, 'xml'));
    expect(msg.items).toEqual([
      {
        templateId: 'BEwX0BO-T3MqK3Uc5oTU3CGBqzjpndk2jzUf7VfExd8',
        status: 'success',
        msgId: '1864323726461255680',
        errorCode: '0',
      },
    ]);
  });

  it('reads a JSON List that is an object for one item and an array for several', () => {
    const item =
      '{"TemplateId":"VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc","SubscribeStatusString":"accept","PopupScene":0}';
    const head = `${jsonHead},"Event":"subscribe_msg_popup_event"`;
    const one = normalizePushMessage(parsePushBody(`{${head},"List":${item}}`, 'json'));
    const two = normalizePushMessage(
      parsePushBody(`{${head},"List":[${item},${item.replace('accept', 'reject')}]}`, 'json'),
    );
    expect(one.items).toEqual([{ ...accept, popupScene: '0' }]);
    expect(two.items.map((i) => i.status)).toEqual(['accept', 'reject']);
    expect(one.createTime).toBe('1620963428');
  });

  // The JSON sent event of WeChat's documentation (docs/wechat.md#subscribe-message-events).
  it("reads WeChat's documented JSON sent event, also with MsgID as a bare number", () => {
    const sent = `{${jsonHead},"Event":"subscribe_msg_sent_event","List":{"TemplateId":"BEwX0BO-T3MqK3Uc5oTU3CGBqzjpndk2jzUf7VfExd8","MsgID":"1864323726461255680","ErrorCode":"0","ErrorStatus":"success"}}`;
    for (const raw of [
      sent,
      sent.replace('"1864323726461255680"', '1864323726461255680').replace('"0"', '0'),
    ]) {
      expect(normalizePushMessage(parsePushBody(raw, 'json')).items).toEqual([
        {
          templateId: 'BEwX0BO-T3MqK3Uc5oTU3CGBqzjpndk2jzUf7VfExd8',
          status: 'success',
          msgId: '1864323726461255680',
          errorCode: '0',
        },
      ]);
    }
  });

  it('also reads JSON that nests the items under the wrapper name', () => {
    const item = { TemplateId: accept.templateId, SubscribeStatusString: 'accept', PopupScene: '0' };
    const head = JSON.parse(`{${jsonHead},"Event":"subscribe_msg_popup_event"}`) as Record<string, unknown>;
    for (const nested of [[item], { List: [item] }, { List: item }]) {
      const raw = JSON.stringify({ ...head, SubscribeMsgPopupEvent: nested });
      expect(normalizePushMessage(parsePushBody(raw, 'json')).items).toEqual([
        { ...accept, popupScene: '0' },
      ]);
    }
  });

  it('gives messages and other events no items, keeping MsgId and the raw fields', () => {
    const text = normalizePushMessage(
      parsePushBody(
        `{${jsonHead.replace('"event"', '"text"')},"Content":"hi","MsgId":23000000000000000001}`,
        'json',
      ),
    );
    expect(text).toMatchObject({ msgType: 'text', msgId: '23000000000000000001', items: [] });
    expect(text.raw['Content']).toBe('hi');
    expect(normalizePushMessage(parsePushBody(xmlHead('subscribe') + '</xml>', 'xml')).items).toEqual([]);
  });

  it('takes an empty wrapper as no items', () => {
    const xml = `${xmlHead('subscribe_msg_popup_event')}<SubscribeMsgPopupEvent></SubscribeMsgPopupEvent></xml>`;
    expect(normalizePushMessage(parsePushBody(xml, 'xml')).items).toEqual([]);
  });

  it('rejects a message without FromUserName and an item without TemplateId or status', () => {
    expect(failure(() => normalizePushMessage({ ToUserName: 'a', CreateTime: '1', MsgType: 'event' }))).toBe(
      'missing_field',
    );
    const noTemplate = `${xmlHead('subscribe_msg_popup_event')}<SubscribeMsgPopupEvent><List><SubscribeStatusString>accept</SubscribeStatusString></List></SubscribeMsgPopupEvent></xml>`;
    expect(failure(() => normalizePushMessage(parsePushBody(noTemplate, 'xml')))).toBe('missing_field');
    const noStatus = sentXml.replace('<ErrorStatus><![CDATA[success]]></ErrorStatus>', '');
    expect(failure(() => normalizePushMessage(parsePushBody(noStatus, 'xml')))).toBe('missing_field');
  });

  it('rejects ids that already lost precision and fields given twice', () => {
    const base = { ToUserName: 'a', FromUserName: 'b', CreateTime: '1', MsgType: 'text' };
    expect(failure(() => normalizePushMessage({ ...base, MsgId: Number('1864323726461255680') }))).toBe(
      'bad_field',
    );
    expect(normalizePushMessage({ ...base, MsgId: 1864323726461255680n }).msgId).toBe('1864323726461255680');
    expect(failure(() => normalizePushMessage({ ...base, FromUserName: ['b', 'c'] }))).toBe('bad_field');
  });
});

describe('dedupKey', () => {
  it('keys messages by MsgId and events by sender, time and event', () => {
    const text = normalizePushMessage({
      ToUserName: 'a',
      FromUserName: 'o1',
      CreateTime: '9',
      MsgType: 'text',
      MsgId: '42',
    });
    expect(dedupKey(text)).toBe('msgid:42');
    expect(dedupKey(normalizePushMessage(parsePushBody(popupTwoXml, 'xml')))).toBe(
      'evt:otFpruAK8D-E6EfStSYonYSBZ8_4:1610969440:subscribe_msg_popup_event',
    );
  });

  it('keys a sent event as an event: its MsgID belongs to the send, not to the push', () => {
    expect(dedupKey(normalizePushMessage(parsePushBody(sentXml, 'xml')))).toBe(
      'evt:otFpruAK8D-E6EfStSYonYSBZ8_4:1620963428:subscribe_msg_sent_event',
    );
  });

  it('runs the official secure-mode vector end to end: verify, decrypt, parse, key', () => {
    const crypto = new PushCrypto(officialJson);
    const { timestamp, nonce, msgSignature, encrypt } = officialJson.push;
    const outer = parsePushBody(JSON.stringify({ ToUserName: 'gh_97417a04a28d', Encrypt: encrypt }), 'json');
    const cipher = extractEncrypt(outer) ?? '';
    expect(crypto.verifyMsgSignature(msgSignature, timestamp, nonce, cipher)).toBe(true);
    const msg = normalizePushMessage(parsePushBody(crypto.decrypt(cipher).message, 'json'));
    expect(msg).toMatchObject({ event: 'debug_demo', createTime: '1714112445', items: [] });
    expect(dedupKey(msg)).toBe('evt:o9AgO5Kd5ggOC-bXrbNODIiE3bGY:1714112445:debug_demo');
  });
});
