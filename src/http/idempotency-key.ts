import { createHash } from 'node:crypto';
import type { AppContext, Draft } from './context';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const KEY_MESSAGE = 'must be 1–128 letters, digits or _.:-';

export interface Idempotency {
  key: string;
  fingerprint: string; // of the method, path and cleaned body: tells a retry from another request
}

/**
 * The create's `Idempotency-Key` header, if any, and the fingerprint of what it is sent with: a
 * retried create returns the first result, the key with another body or route is a 422. The
 * fingerprint is taken over the cleaned input (NFC text, canonical zones, keys in order), so a
 * retry that differs only in spelling is still the same request. A malformed key joins the
 * draft's problems, answered with them.
 */
export function idempotencyOf(ctx: AppContext, draft: Draft<unknown>): Idempotency | undefined {
  const key = ctx.get('Idempotency-Key');
  if (!key) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    draft.problems.push({ path: 'Idempotency-Key', message: KEY_MESSAGE });
    return undefined;
  }
  const fingerprint = createHash('sha256')
    .update(`${ctx.method} ${ctx.path}\n${canonicalJson(draft.input)}`)
    .digest('base64url');
  return { key, fingerprint };
}

/** JSON with object keys sorted at every level. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
