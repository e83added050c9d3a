import { ValidationError } from '../errors';
import type { AppContext } from './context';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The create's `Idempotency-Key` header, if any: a retried create with it returns the first result. */
export function idempotencyKey(ctx: AppContext): string | undefined {
  const key = ctx.get('Idempotency-Key');
  if (!key) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError([
      { path: 'Idempotency-Key', message: 'must be 1–128 letters, digits or _.:-' },
    ]);
  }
  return key;
}
