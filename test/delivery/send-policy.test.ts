import { readFileSync } from 'node:fs';
import path from 'node:path';
import { backoffMs, decide, type AttemptState, type SendDecision } from '../../src/delivery/send-policy';

const NOW = 1_700_000_000_000;
const FAR = NOW + 600_000; // a deadline no backoff reaches
const FIRST: AttemptState = { transientTries: 0, tokenRefreshed: false };
const half = () => 0.5; // jitter in the middle of [d/2, d]

const retry = (afterMs: number): SendDecision => ({ action: 'retry', afterMs });
const failed: SendDecision = { action: 'final', outcome: 'failed' };

// Every errcode of docs/wechat.md#errcodes-and-how-we-react, and the reaction to it on a first try.
const TABLE: [errcode: number, meaning: string, decision: SendDecision][] = [
  [0, 'accepted', { action: 'final', outcome: 'sent' }],
  [-1, 'system busy', retry(375)],
  [-2, 'timeout (tixing)', retry(375)],
  [-3, 'HTTP 5xx or not JSON (tixing)', retry(375)],
  [-4, 'network error (tixing)', retry(375)],
  [40001, 'token stale', { action: 'refresh_token' }],
  [42001, 'token expired', { action: 'refresh_token' }],
  [40014, 'token illegal', { action: 'refresh_token' }],
  [40003, 'invalid openid', failed],
  [40037, 'invalid template_id', { action: 'final', outcome: 'failed', loud: true }],
  [41030, 'page not in the released version', failed],
  [43101, 'no unused subscription', { action: 'zero_quota' }],
  [45009, 'daily quota of the app', { action: 'pause' }],
  [47003, 'a value breaks its field rule', failed],
  [48001, 'API not authorised', failed],
  [45168, 'sensitive word', failed],
  [45011, 'too frequent (not a send errcode, any other): final', failed],
];

describe('the send policy', () => {
  it.each(TABLE)('answers errcode %i (%s) on a first try with %j', (errcode, _meaning, decision) => {
    expect(decide({ errcode }, FIRST, FAR, NOW, {}, half)).toEqual(decision);
  });

  it('covers every errcode docs/wechat.md lists for a send', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'wechat.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### Errcodes and how we react'), doc.indexOf('## Field rules'));
    const listed = [...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap(([, cell = '']) =>
      [...cell.matchAll(/(?<!\w)-?\d+(?!\w)/g)].map(([n]) => Number(n)),
    );
    expect(listed.length).toBeGreaterThan(10); // the pattern does find the table's rows
    const tabled = new Set(TABLE.map(([errcode]) => errcode));
    expect(listed.filter((errcode) => !tabled.has(errcode))).toEqual([]);
  });

  it('retries a token WeChat refuses again like any transient failure, after its one refresh', () => {
    const refreshed = { transientTries: 0, tokenRefreshed: true };
    expect(decide({ errcode: 40001 }, refreshed, FAR, NOW, {}, half)).toEqual(retry(375));
    expect(decide({ errcode: 42001 }, { ...refreshed, transientTries: 4 }, FAR, NOW, {}, half)).toEqual(
      failed,
    );
  });

  it('gives up a transient failure on the fifth try, or when the backoff would end past the deadline', () => {
    expect(decide({ errcode: -1 }, { transientTries: 3, tokenRefreshed: false }, FAR, NOW, {}, half)).toEqual(
      retry(3000),
    );
    expect(decide({ errcode: -1 }, { transientTries: 4, tokenRefreshed: false }, FAR, NOW, {}, half)).toEqual(
      failed,
    );
    expect(decide({ errcode: -2 }, FIRST, NOW + 376, NOW, {}, half)).toEqual(retry(375));
    expect(decide({ errcode: -2 }, FIRST, NOW + 375, NOW, {}, half)).toEqual(failed);
    expect(decide({ errcode: -1 }, FIRST, FAR, NOW, { maxTries: 1 }, half)).toEqual(failed);
  });

  it('backs off exponentially with full jitter in [d/2, d], d doubling from 0.5 s and capped at 8 s', () => {
    const bounds = [1, 2, 3, 4, 5, 6].map((n) => [
      backoffMs(n, {}, () => 0),
      backoffMs(n, {}, () => 0.999999),
    ]);
    expect(bounds).toEqual([
      [250, 500],
      [500, 1000],
      [1000, 2000],
      [2000, 4000],
      [4000, 8000],
      [4000, 8000],
    ]);
    expect(backoffMs(2, { backoffBaseMs: 10, backoffMaxMs: 15 }, () => 0)).toBe(8);
  });
});
