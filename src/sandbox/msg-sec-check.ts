/**
 * The sandbox's `wxa/msg_sec_check` version 2 (docs/wechat.md#content-security): the request
 * shape, errcodes and answer of the real API, with a verdict from a small built-in word list, so
 * that tests and a person running `npm start` can get each answer on purpose (README.md#content-checks).
 */
import { randomBytes } from 'node:crypto';
import { looksLikeOpenId } from './openid';
import { errorBody } from './replies';
import { faultReply, type ApiRequest, type ApiState, type Reply } from './wechat-api';

export type SecSuggest = 'pass' | 'review' | 'risky';

/** Words that make the sandbox answer `risky` or `review`, with WeChat's label for each. */
export const SEC_CHECK_WORDS: readonly {
  word: string;
  suggest: Exclude<SecSuggest, 'pass'>;
  label: number;
}[] = [
  { word: '赌博', suggest: 'risky', label: 20006 }, // 违法犯罪
  { word: '毒品', suggest: 'risky', label: 20006 },
  { word: 'sandbox-risky', suggest: 'risky', label: 20006 },
  { word: '代购', suggest: 'review', label: 10001 }, // 广告
  { word: '加微信', suggest: 'review', label: 10001 },
  { word: 'sandbox-review', suggest: 'review', label: 10001 },
];

const PASS_LABEL = 100;
const MAX_CONTENT = 2500; // characters (code points)
const SCENES = new Set([1, 2, 3, 4]);
const KEPT_CALLS = 10_000; // calls remembered for tests (oldest dropped first)

/** One check the sandbox answered, oldest first in `SecChecks.calls`. */
export interface SecCheckCall {
  openid: string;
  scene: number;
  content: string;
  title: string | null;
  suggest: SecSuggest;
  at: number; // sandbox clock, ms
}

export class SecChecks {
  /** The checks answered since the last reset (not the faulted or refused ones). */
  readonly calls: SecCheckCall[] = [];
  /** Every call, faulted and refused ones included. */
  attempts = 0;

  reset(): void {
    this.calls.length = 0;
    this.attempts = 0;
  }

  /** POST /wxa/msg_sec_check?access_token= */
  handle(state: ApiState, req: ApiRequest): Reply {
    this.attempts++;
    const fail = (errcode: number, detail?: string): Reply => ({
      status: 200,
      body: errorBody(errcode, state.now(), detail),
    });
    const step = state.faults.secCheckNext.shift();
    if (step) return faultReply(state, step);
    if (state.faults.secCheckBusy) return fail(-1);
    if (req.method !== 'POST') return fail(43002);
    const token = req.url.searchParams.get('access_token');
    if (!token) return fail(41001);
    const verdict = state.tokens.verify(token);
    if (verdict !== 'ok') return fail(verdict);
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return fail(47001);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(47001);
    const { version, openid, scene, content, title, nickname, signature } = body as Record<string, unknown>;
    if (version !== 2) return fail(47001, 'hint: version must be 2');
    // openids are one-way hashes of the user: the sandbox can only tell a malformed one.
    if (!looksLikeOpenId(openid)) return fail(40003);
    if (!Number.isInteger(scene) || !SCENES.has(scene as number)) return fail(40129);
    if (content === undefined || content === null || content === '') return fail(44002);
    if (typeof content !== 'string' || [...content].length > MAX_CONTENT) return fail(47001, 'hint: content');
    for (const extra of [title, nickname, signature]) {
      if (extra !== undefined && typeof extra !== 'string') return fail(47001);
    }
    const texts = [content, title, nickname, signature].filter((t): t is string => typeof t === 'string');
    const hits = SEC_CHECK_WORDS.filter((w) => texts.some((t) => t.toLowerCase().includes(w.word)));
    const worst = hits.find((w) => w.suggest === 'risky') ?? hits[0];
    const suggest: SecSuggest = worst?.suggest ?? 'pass';
    const label = worst?.label ?? PASS_LABEL;
    this.calls.push({
      openid,
      scene: scene as number,
      content,
      title: typeof title === 'string' ? title : null,
      suggest,
      at: state.now(),
    });
    if (this.calls.length > KEPT_CALLS) this.calls.shift();
    const detail = [
      { strategy: 'content_model', errcode: 0, suggest, label, prob: worst ? 90 : 0 },
      ...hits.map((w) => ({
        strategy: 'keyword',
        errcode: 0,
        suggest: w.suggest,
        label: w.label,
        level: 20,
        keyword: w.word,
      })),
    ];
    return {
      status: 200,
      body: JSON.stringify({
        errcode: 0,
        errmsg: 'ok',
        result: { suggest, label },
        detail,
        trace_id: traceId(state.now()),
      }),
    };
  }
}

/** Shaped like WeChat's `60ae120f-371d5872-7941a05b`: the unix time in hex, then random groups. */
function traceId(nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return `${seconds}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
}
