import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseLosslessJson } from 'lossless-json';

/**
 * Parsing and normalizing WeChat push bodies (docs/wechat.md#message-push). Every scalar stays a
 * string: ids such as MsgId 1864323726461255680 exceed Number.MAX_SAFE_INTEGER, in XML and in JSON
 * alike.
 */

export type PushFormat = 'xml' | 'json';

export type PushFormatFailure = 'bad_xml' | 'bad_json' | 'not_an_object' | 'missing_field' | 'bad_field';

export class PushFormatError extends Error {
  override readonly name = 'PushFormatError';

  constructor(
    readonly reason: PushFormatFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PushEventItem {
  templateId: string;
  status: string; // SubscribeStatusString (popup/change) or ErrorStatus (sent)
  popupScene?: string; // popup events only
  msgId?: string; // sent events: the msgid subscribeMessage.send answered
  errorCode?: string; // sent events: "0" = delivered
}

export interface PushMessage {
  toUserName: string;
  fromUserName: string;
  createTime: string; // seconds since the epoch, as sent
  msgType: string;
  event?: string;
  msgId?: string;
  items: PushEventItem[]; // filled for the three subscribe-message events, else empty
  raw: Record<string, unknown>;
}

export const SUBSCRIBE_EVENTS = {
  popup: 'subscribe_msg_popup_event',
  change: 'subscribe_msg_change_event',
  sent: 'subscribe_msg_sent_event',
} as const;

// XML wraps the List elements; some docs show the popup wrapper for change events, so accept both.
const XML_WRAPPERS: Record<string, readonly string[]> = {
  [SUBSCRIBE_EVENTS.popup]: ['SubscribeMsgPopupEvent'],
  [SUBSCRIBE_EVENTS.change]: ['SubscribeMsgChangeEvent', 'SubscribeMsgPopupEvent'],
  [SUBSCRIBE_EVENTS.sent]: ['SubscribeMsgSentEvent'],
};

/**
 * fast-xml-parser reads a DOCTYPE wherever it meets `<!D` and, with `processEntities` on (its
 * default), expands the entities declared there. Off, every `&…;` stays as written: nothing WeChat
 * sends needs decoding (its strings come in CDATA), and no entity, declared or predefined, can
 * change what a field says. htmlEntities stays off for the same reason.
 */
export const PUSH_XML_PARSER_OPTIONS = {
  ignoreAttributes: true,
  parseTagValue: false, // no numeric conversion: ids must survive digit for digit
  trimValues: true, // trims text around CDATA only; CDATA content is kept as is
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: false,
  htmlEntities: false,
} as const;

const xmlParser = new XMLParser(PUSH_XML_PARSER_OPTIONS);

// WeChat's XML holds elements, CDATA sections and at most comments. Any other `<!` (DOCTYPE,
// ENTITY, ELEMENT, ATTLIST, in any case, spaced or not) is refused wherever it stands, inside a
// CDATA section or a comment included: a guard that first decides where sections end can be
// fooled by text that opens one inside another (`<!-- <![CDATA[ -->…`), a plain search cannot.
const MARKUP_DECLARATION = /<!(?!--|\[CDATA\[)/;

export function parsePushBody(raw: string, format: PushFormat): Record<string, unknown> {
  const text = raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
  return format === 'xml' ? parseXml(text) : parseJson(text);
}

function parseXml(text: string): Record<string, unknown> {
  if (MARKUP_DECLARATION.test(text)) {
    throw new PushFormatError('bad_xml', 'XML with a DOCTYPE or other markup declaration is not accepted');
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new PushFormatError('bad_xml', `malformed XML: ${valid.err.msg}`);
  let doc: unknown;
  try {
    doc = xmlParser.parse(text);
  } catch (error) {
    // The parser refuses names such as __proto__ by throwing.
    throw new PushFormatError('bad_xml', 'XML could not be parsed', { cause: error });
  }
  if (!isRecord(doc) || Object.keys(doc).length !== 1 || !Object.hasOwn(doc, 'xml')) {
    throw new PushFormatError('bad_xml', 'XML root element must be <xml>');
  }
  const root = doc['xml'];
  if (root === '') return {}; // <xml></xml>
  if (!isRecord(root)) throw new PushFormatError('bad_xml', '<xml> holds text, not fields');
  return root;
}

function parseJson(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    // The number parser receives each number's source text; returning it keeps every digit.
    doc = parseLosslessJson(text, null, (digits: string) => digits);
  } catch (error) {
    throw new PushFormatError('bad_json', 'malformed JSON', { cause: error });
  }
  if (!isRecord(doc)) throw new PushFormatError('not_an_object', 'JSON body must be an object');
  return doc;
}

/**
 * The `Encrypt` field of a compatible/secure-mode envelope, or undefined when it has none. This is
 * all that is read of an envelope before msg_signature is checked: the other fields (compatible
 * mode's plain copy) are covered by no signature and are never handed on.
 */
export function readEnvelopeEncrypt(raw: string, format: PushFormat): string | undefined {
  return extractEncrypt(parsePushBody(raw, format));
}

/** The `Encrypt` field of a parsed compatible/secure-mode body, or undefined in plain mode. */
export function extractEncrypt(body: Record<string, unknown>): string | undefined {
  if (!Object.hasOwn(body, 'Encrypt')) return undefined;
  const value = body['Encrypt'];
  // Two Encrypt elements or an object would be ambiguous: refuse rather than pick one.
  if (typeof value !== 'string') throw new PushFormatError('bad_field', 'Encrypt must be a single string');
  return value;
}

export function normalizePushMessage(obj: Record<string, unknown>): PushMessage {
  const event = optionalScalar(obj, 'Event');
  const msgId = optionalScalar(obj, 'MsgId') ?? optionalScalar(obj, 'MsgID');
  const message: PushMessage = {
    toUserName: requiredScalar(obj, 'ToUserName'),
    fromUserName: requiredScalar(obj, 'FromUserName'),
    createTime: requiredScalar(obj, 'CreateTime'),
    msgType: requiredScalar(obj, 'MsgType'),
    items: event === undefined ? [] : eventItems(obj, event),
    raw: obj,
  };
  if (event !== undefined) message.event = event;
  if (msgId !== undefined) message.msgId = msgId;
  return message;
}

/** The key under which WeChat's retries of one push collide (docs/wechat.md#retries-and-ids). */
export function dedupKey(msg: PushMessage): string {
  if (msg.msgId !== undefined && msg.msgId !== '') return `msgid:${msg.msgId}`;
  return `evt:${msg.fromUserName}:${msg.createTime}:${msg.event ?? ''}`;
}

function eventItems(obj: Record<string, unknown>, event: string): PushEventItem[] {
  const wrappers = XML_WRAPPERS[event];
  if (wrappers === undefined) return [];
  return collectRawItems(obj, wrappers).map((item, index) => normalizeItem(item, event, index));
}

function collectRawItems(obj: Record<string, unknown>, wrappers: readonly string[]): unknown[] {
  // JSON: a top-level List, an object for one item and an array for several.
  if (Object.hasOwn(obj, 'List')) return listOf(obj['List']);
  // XML: <Wrapper><List>…</List><List>…</List></Wrapper>. Some JSON samples also use the wrapper,
  // holding either {List: …} or the items themselves, so both shapes are read.
  for (const wrapper of wrappers) {
    if (!Object.hasOwn(obj, wrapper)) continue;
    return listOf(obj[wrapper]).flatMap((entry) =>
      isRecord(entry) && Object.hasOwn(entry, 'List') ? listOf(entry['List']) : [entry],
    );
  }
  return [];
}

function listOf(value: unknown): unknown[] {
  const values = Array.isArray(value) ? value : [value];
  // An empty element (<List></List>, <Wrapper/>) parses as '' and carries no item.
  return values.filter((v) => v !== '' && v !== null && v !== undefined);
}

function normalizeItem(value: unknown, event: string, index: number): PushEventItem {
  if (!isRecord(value)) throw new PushFormatError('bad_field', `${event} item ${index} is not an object`);
  const where = `${event} item ${index}`;
  const templateId = requiredScalar(value, 'TemplateId', where);
  if (event === SUBSCRIBE_EVENTS.sent) {
    const item: PushEventItem = { templateId, status: requiredScalar(value, 'ErrorStatus', where) };
    const msgId = optionalScalar(value, 'MsgID', where) ?? optionalScalar(value, 'MsgId', where);
    const errorCode = optionalScalar(value, 'ErrorCode', where);
    if (msgId !== undefined) item.msgId = msgId;
    if (errorCode !== undefined) item.errorCode = errorCode;
    return item;
  }
  const item: PushEventItem = { templateId, status: requiredScalar(value, 'SubscribeStatusString', where) };
  const popupScene = optionalScalar(value, 'PopupScene', where);
  if (popupScene !== undefined) item.popupScene = popupScene;
  return item;
}

function requiredScalar(obj: Record<string, unknown>, key: string, where = 'message'): string {
  const value = optionalScalar(obj, key, where);
  if (value === undefined) throw new PushFormatError('missing_field', `${where} lacks ${key}`);
  return value;
}

function optionalScalar(obj: Record<string, unknown>, key: string, where = 'message'): string | undefined {
  if (!Object.hasOwn(obj, key)) return undefined;
  const value = obj[key];
  if (value === null) return undefined; // JSON null: as good as absent
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  // Objects built by other code than parsePushBody may carry numbers; only exact ones are accepted.
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'number') {
    throw new PushFormatError('bad_field', `${where} ${key} is a number that may have lost digits`);
  }
  throw new PushFormatError('bad_field', `${where} ${key} must be a single value`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
