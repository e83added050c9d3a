import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  decideCustomSend,
  type CustomAttemptState,
  type CustomDecision,
} from '../../src/wechat/custom-message-policy';

const FIRST: CustomAttemptState = { transientTries: 0, tokenRefreshed: false };
const half = () => 0.5; // jitter in the middle of [d/2, d]
const retry = (afterMs: number): CustomDecision => ({ action: 'retry', afterMs });
const failed: CustomDecision = { action: 'failed' };

// Every errcode of docs/wechat.md#customer-service-errcodes-and-how-we-react, on a first try.
const TABLE: [errcode: number, meaning: string, decision: CustomDecision][] = [
  [0, 'accepted', { action: 'sent' }],
  [-1, 'system busy', retry(150)],
  [-2, 'timeout (tixing)', retry(150)],
  [-3, 'HTTP 5xx or not JSON (tixing)', retry(150)],
  [-4, 'network error (tixing)', retry(150)],
  [40001, 'token stale', { action: 'refresh_token' }],
  [42001, 'token expired', { action: 'refresh_token' }],
  [40014, 'token illegal', { action: 'refresh_token' }],
  [45015, 'reply time limit passed', { action: 'window', reason: 'closed' }],
  [45047, 'too many messages', { action: 'window', reason: 'used_up' }],
  [40003, 'invalid openid', failed],
  [40007, 'invalid media_id', failed],
  [45002, 'content too long', failed],
  [48001, 'API not authorised', failed],
  [43101, 'a subscribe-message errcode, any other: final', failed],
];

describe('the customer-service send policy', () => {
  it.each(TABLE)('answers errcode %i (%s) on a first try with %j', (errcode, _meaning, decision) => {
    expect(decideCustomSend(errcode, FIRST, {}, half)).toEqual(decision);
  });

  it('covers every errcode docs/wechat.md lists for custom/send', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'wechat.md'), 'utf8');
    const start = doc.indexOf('### Customer-service errcodes and how we react');
    const section = doc.slice(start, doc.indexOf('\n## ', start));
    const listed = [...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap(([, cell = '']) =>
      [...cell.matchAll(/(?<!\w)-?\d+(?!\w)/g)].map(([n]) => Number(n)),
    );
    expect(listed.length).toBeGreaterThan(8); // the pattern does find the table's rows
    const tabled = new Set(TABLE.map(([errcode]) => errcode));
    expect(listed.filter((errcode) => !tabled.has(errcode))).toEqual([]);
  });

  it('refreshes the token once, then treats a refused token as transient', () => {
    const refreshed = { transientTries: 0, tokenRefreshed: true };
    expect(decideCustomSend(40001, refreshed, {}, half)).toEqual(retry(150));
    expect(decideCustomSend(42001, { ...refreshed, transientTries: 2 }, {}, half)).toEqual(failed);
  });

  it('gives up a transient failure on the third try, backing off from 0.2 s doubling to at most 1 s', () => {
    expect(decideCustomSend(-1, { transientTries: 1, tokenRefreshed: false }, {}, half)).toEqual(retry(300));
    expect(decideCustomSend(-1, { transientTries: 2, tokenRefreshed: false }, {}, half)).toEqual(failed);
    const long = { maxTries: 10 };
    expect(decideCustomSend(-1, { transientTries: 6, tokenRefreshed: false }, long, () => 0.999999)).toEqual(
      retry(1000),
    );
    expect(decideCustomSend(-1, { transientTries: 6, tokenRefreshed: false }, long, () => 0)).toEqual(
      retry(500),
    );
  });
});
