import { ContentRiskyError, ServiceUnavailableError, ValidationError } from '../../src/errors';
import {
  CONTENT_SCENES,
  PIECE_LENGTH,
  splitPieces,
  type ContentCheckService,
} from '../../src/services/content-check';
import { useSandbox, type TestInstance } from '../support/harness';

/**
 * ContentCheckService (docs/wechat.md#content-security) against the sandbox's msg_sec_check over
 * HTTP: each verdict, WeChat busy then answering, WeChat busy throughout, a stale token, long text.
 */
const env = useSandbox();
let t: TestInstance;
let checks: ContentCheckService;
const author = () => env.sandbox.openIdFor('author');

beforeAll(async () => {
  t = await env.start({ start: false });
  checks = t.instance.contentCheck;
});

const check = (text: string, more: { title?: string; path?: string; titlePath?: string } = {}) =>
  checks.check({ openid: author(), scene: CONTENT_SCENES.comment, text, ...more });

/** What a rejected check threw. */
async function thrown(promise: Promise<unknown>): Promise<Error & { status?: number; details?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('the check passed');
}

describe('ContentCheckService.check', () => {
  it('passes clean text after asking WeChat, with the author, the scene and the text', async () => {
    expect(await check('明天下午三点在 301 开班会')).toBe('pass');
    expect(env.sandbox.secChecks.calls).toEqual([
      expect.objectContaining({
        openid: author(),
        scene: 2,
        content: '明天下午三点在 301 开班会',
        title: null,
      }),
    ]);
  });

  it('answers review for text WeChat wants a person to look at', async () => {
    expect(await check('有需要代购的同学联系我')).toBe('review');
  });

  it('refuses risky text with a 422 naming the field the caller gave', async () => {
    const err = await thrown(check('周末一起去赌博', { path: 'body' }));
    expect(err).toBeInstanceOf(ContentRiskyError);
    expect(err.status).toBe(422);
    expect(err.details).toEqual([{ path: 'body', message: expect.stringContaining('content check') }]);
  });

  it('names the title when it is the risky part, and the text when the title is clean', async () => {
    const byTitle = await thrown(check('周五放假', { title: '赌博通知', path: 'body', titlePath: 'title' }));
    expect(byTitle.details).toEqual([expect.objectContaining({ path: 'title' })]);
    const byText = await thrown(check('去赌博吗', { title: '周末安排', path: 'body', titlePath: 'title' }));
    expect(byText.details).toEqual([expect.objectContaining({ path: 'body' })]);
    // positive control: both clean pass, in one call with msg_sec_check's own title
    const before = env.sandbox.secChecks.calls.length;
    expect(await check('周五放假', { title: '放假通知' })).toBe('pass');
    expect(env.sandbox.secChecks.calls.slice(before)).toEqual([
      expect.objectContaining({ title: '放假通知' }),
    ]);
  });

  it('retries while WeChat is busy (-1, HTTP 502) and passes once it answers', async () => {
    env.sandbox.faults.secCheckNext = [{ errcode: -1 }, { http: 502 }];
    expect(await check('班会改到周四')).toBe('pass');
    expect(env.sandbox.secChecks.attempts).toBe(3);
    expect(env.sandbox.secChecks.calls).toHaveLength(1);
  });

  it('answers 503 after a bounded number of tries when WeChat stays busy, never a pass', async () => {
    env.sandbox.faults.secCheckBusy = true;
    const err = await thrown(check('班会改到周四'));
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.status).toBe(503);
    expect(err.message).toContain('-1');
    expect(env.sandbox.secChecks.attempts).toBe(3);
    const logged = t.logs.lines.filter((line) => line.includes('content check failed'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).not.toContain('班会'); // the user's text is never logged
  });

  it('answers 503 naming WeChat’s errcode for an error retrying cannot fix', async () => {
    const err = await thrown(checks.check({ openid: 'nobody', scene: CONTENT_SCENES.comment, text: '你好' }));
    expect(err.status).toBe(503);
    expect(err.message).toContain('40003');
    expect(env.sandbox.secChecks.attempts).toBe(1);
  });

  it('replaces a token WeChat refuses and checks again, once', async () => {
    expect(await check('预热')).toBe('pass'); // a token is stored
    env.sandbox.revokeTokens();
    expect(await check('班会改到周四')).toBe('pass');
    expect(env.sandbox.secChecks.calls.map((c) => c.content)).toEqual(['预热', '班会改到周四']);
  });

  it('asks nothing for empty text (WeChat would answer 44002)', async () => {
    expect(await check('   ')).toBe('pass');
    expect(env.sandbox.secChecks.attempts).toBe(0);
  });

  it('checks long text in overlapping pieces of at most 2,500 characters and finds a word across a cut', async () => {
    const text = `${'好'.repeat(PIECE_LENGTH - 1)}赌博${'好'.repeat(3000)}`; // the word straddles the first cut
    const err = await thrown(check(text, { path: 'body' }));
    expect(err.status).toBe(422);
    const sent = env.sandbox.secChecks.calls.map((c) => c.content);
    expect(sent.length).toBe(2); // the second piece holds the word and ends the check
    expect(sent.every((piece) => piece.length <= PIECE_LENGTH)).toBe(true);
    expect(sent[1]).toContain('赌博');
    // positive control: the same length without the word passes, in three pieces
    expect(await check('好'.repeat(5501))).toBe('pass');
    expect(env.sandbox.secChecks.calls.length).toBe(2 + 3);
  });

  it('refuses text too long to check in 4 pieces with a 400 naming the field', async () => {
    const err = await thrown(check('好'.repeat(10_000), { path: 'body' }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.details).toEqual([{ path: 'body', message: expect.stringContaining('9850') }]);
    expect(env.sandbox.secChecks.attempts).toBe(0);
  });
});

describe('splitPieces', () => {
  it('cuts at 2,500 UTF-16 units with a 50-unit overlap, never inside a surrogate pair', () => {
    expect(splitPieces('短')).toEqual(['短']);
    const pieces = splitPieces('a'.repeat(2499) + '𠀀' + 'b'.repeat(3000));
    expect(pieces[0]).toBe('a'.repeat(2499)); // the pair would have been cut: it moves to the next piece
    expect(
      pieces.every((p) => p.length <= PIECE_LENGTH && !/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(p)),
    ).toBe(true);
    expect(pieces.join('').length).toBeGreaterThan(5501);
    const text = 'x'.repeat(6000);
    expect(splitPieces(text).map((p) => p.length)).toEqual([2500, 2500, 1100]);
  });
});
