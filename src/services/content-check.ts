/**
 * WeChat's content check for user text (docs/wechat.md#content-security): every title, body,
 * comment or reply a person writes goes through `check` before it is stored. `risky` is a 422
 * naming the field (nothing stored); `review` is the caller's to store hidden until a manager
 * approves it; when WeChat cannot answer, the check is retried a bounded number of times and then
 * a 503 — unchecked text is never passed silently.
 *
 * Long text: `wxa/msg_sec_check` takes at most 2,500 characters, so longer text is checked in
 * pieces of 2,500 UTF-16 units (never splitting a surrogate pair) that overlap by 50, so a phrase
 * of up to 50 characters across a cut is whole in one piece; the worst verdict of the pieces is
 * the text's. At most 4 pieces (9,850 units) per check: longer text is a 400 naming the field.
 * Pieces are checked one after the other and a `risky` one ends the check (cost: one call per
 * piece, two more at most to tell a risky title from its text).
 */
import { contentCheckUnavailable, contentRisky, invalidRequest } from '../errors';
import type { Logger } from '../logger';
import { isWeChatError, WeChatApiError, type WeChatError } from '../wechat/errors';
import type { TokenManager } from '../wechat/token-manager';
import type { MsgSecCheckRequest, MsgSecCheckResult, WeChatClient } from '../wechat/wechat-client';

/** msg_sec_check's scenes. */
export const CONTENT_SCENES = { profile: 1, comment: 2, forum: 3, socialLog: 4 } as const;
export type ContentScene = (typeof CONTENT_SCENES)[keyof typeof CONTENT_SCENES];

export const PIECE_LENGTH = 2500; // UTF-16 units per call (WeChat: ≤ 2,500 characters)
export const PIECE_OVERLAP = 50;
export const MAX_PIECES = 4;

export interface ContentCheckInput {
  openid: string; // the author, whose session made the request
  scene: ContentScene;
  text: string;
  title?: string; // checked with the text's first piece, in msg_sec_check's own `title`
  path?: string; // the field `text` came from, named by a 422; default 'text'
  titlePath?: string; // the field `title` came from; default 'title'
}

/** What the caller does with the text: store it (`pass`) or store it hidden until approved (`review`). */
export type ContentVerdict = 'pass' | 'review';

export interface ContentCheckOptions {
  wechat: Pick<WeChatClient, 'msgSecCheck'>;
  tokens: Pick<TokenManager, 'get' | 'invalidate'>;
  logger: Logger;
  attempts?: number; // calls per piece while WeChat is busy (-1, HTTP 5xx, timeout), default 3
  backoffMs?: number; // wait before the second call, doubling, default 200
  deadlineMs?: number; // no new call once a check has run this long, default 8000
  now?: () => number;
}

const RANK = { pass: 0, review: 1, risky: 2 } as const;

export class ContentCheckService {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly deadlineMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ContentCheckOptions) {
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.backoffMs = options.backoffMs ?? 200;
    this.deadlineMs = options.deadlineMs ?? 8000;
    this.now = options.now ?? Date.now;
  }

  /** WeChat's verdict on `text` (and `title`): `pass` or `review`; `risky` throws a 422. */
  async check(input: ContentCheckInput): Promise<ContentVerdict> {
    const path = input.path ?? 'text';
    const titlePath = input.titlePath ?? 'title';
    const title = input.title?.trim() ? input.title : undefined;
    const pieces = input.text.trim() ? splitPieces(input.text) : [];
    if (pieces.length > MAX_PIECES) {
      const max = PIECE_LENGTH + (MAX_PIECES - 1) * (PIECE_LENGTH - PIECE_OVERLAP);
      throw invalidRequest([{ path, message: `must be at most ${max} characters to be checked` }]);
    }
    if (pieces.length === 0 && !title) return 'pass'; // nothing to check (WeChat answers 44002)
    const deadline = this.now() + this.deadlineMs;
    const base = { openid: input.openid, scene: input.scene };
    let verdict: ContentVerdict = 'pass';
    if (pieces.length === 0 && title) {
      const alone = await this.call({ ...base, content: title }, deadline);
      if (alone.suggest === 'risky') throw contentRisky([titlePath]);
      return alone.suggest;
    }
    for (const [i, content] of pieces.entries()) {
      const withTitle = i === 0 && title !== undefined;
      const result = await this.call({ ...base, content, ...(withTitle ? { title } : {}) }, deadline);
      if (result.suggest === 'risky') {
        throw contentRisky(
          withTitle ? await this.blame(base, content, title, path, titlePath, deadline) : [path],
        );
      }
      if (RANK[result.suggest] > RANK[verdict]) verdict = result.suggest as ContentVerdict;
    }
    return verdict;
  }

  /** Which of a risky title and text is the risky one: each alone (the text only if the title passes). */
  private async blame(
    base: Pick<MsgSecCheckRequest, 'openid' | 'scene'>,
    content: string,
    title: string,
    path: string,
    titlePath: string,
    deadline: number,
  ): Promise<string[]> {
    const titleAlone = await this.call({ ...base, content: title }, deadline);
    if (titleAlone.suggest !== 'risky') return [path];
    const textAlone = await this.call({ ...base, content }, deadline);
    return textAlone.suggest === 'risky' ? [titlePath, path] : [titlePath];
  }

  /** One msg_sec_check, retried while WeChat is busy; a stale token is replaced once. */
  private async call(request: MsgSecCheckRequest, deadline: number): Promise<MsgSecCheckResult> {
    let replaced = false;
    for (let attempt = 1; ; attempt++) {
      let token: string | undefined;
      try {
        token = await this.options.tokens.get();
        return await this.options.wechat.msgSecCheck(token, request);
      } catch (err) {
        if (!isWeChatError(err)) throw err;
        if (err.kind === 'token' && token !== undefined && !replaced) {
          replaced = true;
          attempt--; // a replaced token is not a busy WeChat
          await this.options.tokens.invalidate(token);
          continue;
        }
        const wait = this.backoffMs * 2 ** (attempt - 1);
        if (err.kind === 'transient' && attempt < this.attempts && this.now() + wait < deadline) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
        throw this.unavailable(err, attempt);
      }
    }
  }

  private unavailable(err: WeChatError, attempts: number): Error {
    const why =
      err instanceof WeChatApiError
        ? `msg_sec_check answered errcode ${err.errcode}${err.kind === 'transient' ? `, ${attempts} tries` : ''}`
        : `msg_sec_check ${err.errcode === -2 ? 'timed out' : 'could not be reached'}, ${attempts} tries`;
    // Never the text itself: it is the user's.
    this.options.logger.warn(
      { api: 'msg_sec_check', errcode: err.errcode, errmsg: err.errmsg, attempts },
      'content check failed: the text was refused, not stored',
    );
    return contentCheckUnavailable(why, { cause: err });
  }
}

/**
 * `text` in pieces of at most PIECE_LENGTH UTF-16 units, each starting PIECE_OVERLAP units before
 * the previous one's end, never cutting a surrogate pair.
 */
export function splitPieces(text: string): string[] {
  if (text.length <= PIECE_LENGTH) return [text];
  const pieces: string[] = [];
  let start = 0;
  for (;;) {
    let end = Math.min(text.length, start + PIECE_LENGTH);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    pieces.push(text.slice(start, end));
    if (end >= text.length) return pieces;
    start = end - PIECE_OVERLAP;
    if (isLowSurrogate(text.charCodeAt(start))) start--;
  }
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;
