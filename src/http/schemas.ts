/**
 * The joi types every route schema builds on, so that the input rules
 * (docs/architecture.md#input-rules) hold on every route alike: `text()` for anything a person
 * types or a client names, `timezone()` and `at()`.
 */
import Joi from 'joi';
import { parseIsoInstant } from '../domain/instant';
import { normalizeText, textProblem } from '../domain/text';
import { canonicalZone } from '../domain/time-zone';

export { required, typedObject, typedCustom, withDefault } from '../infra/typed-schema';

export interface TextSchema extends Joi.StringSchema {
  /** `\n` is allowed (long text such as a detail); other control characters never are. */
  multiline(): this;
}

interface Root extends Joi.Root {
  text(): TextSchema;
}

/**
 * A string checked as received, before joi trims it: lone surrogates and control characters are
 * refused (a 400 naming the field), then the text is NFC-normalised. Trimming, lengths and the
 * rest are joi's string rules, applied to the normalised text.
 */
const J = Joi.extend((joi: Joi.Root) => ({
  type: 'text',
  base: joi.string(),
  messages: { 'text.chars': '{{#label}} {{#reason}}' },
  prepare(value: unknown, helpers: Joi.CustomHelpers) {
    if (typeof value !== 'string') return undefined; // the base type names the wrong type
    const multiline = helpers.schema.$_getFlag('multiline') === true;
    const reason = textProblem(value, { multiline });
    if (reason !== null) return { value, errors: helpers.error('text.chars', { reason }) };
    return { value: normalizeText(value) };
  },
  rules: {
    multiline: {
      method(this: Joi.Schema) {
        return this.$_setFlag('multiline', true);
      },
    },
  },
})) as Root;

/** A text field: `text().trim().min(1).max(100)`, `text().multiline()`… */
export function text(): TextSchema {
  return J.text();
}

/**
 * An IANA zone in any letter case, cleaned to its canonical spelling (`asia/shanghai` →
 * `Asia/Shanghai`); anything else is a 400 naming the field. Only the canonical spelling goes on.
 */
export function timezone(): Joi.StringSchema {
  return text()
    .max(64)
    .custom((value: string, helpers) => canonicalZone(value) ?? helpers.error('any.invalid'))
    .messages({ 'any.invalid': '{{#label}} must be an IANA time zone such as Asia/Shanghai' });
}

const AT_MESSAGE = 'must be ISO 8601 with an offset (2026-11-21T08:30:00+08:00) or epoch milliseconds';

/** `at`: epoch milliseconds, or ISO 8601 with an offset naming a date and time that exist. */
export function at(): Joi.AlternativesSchema {
  const iso = text()
    .max(40)
    .custom((value: string, helpers) => {
      const parsed = parseIsoInstant(value);
      return 'ms' in parsed ? value : helpers.message({ custom: `{{#label}} ${parsed.problem}` });
    });
  return Joi.alternatives()
    .try(Joi.number().integer().min(0), iso)
    .messages({ 'alternatives.types': `{{#label}} ${AT_MESSAGE}` });
}
