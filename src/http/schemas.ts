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
  timezone(): Joi.StringSchema;
  instant(): Joi.AlternativesSchema;
}

const AT_MESSAGE = 'must be ISO 8601 with an offset (2026-11-21T08:30:00+08:00) or epoch milliseconds';

/**
 * A string checked as received, before joi trims it: lone surrogates and control characters are
 * refused (a 400 naming the field), then the text is NFC-normalised. Trimming, lengths and the
 * rest are joi's string rules, applied to the normalised text.
 *
 * `timezone` and `instant` are types of their own rather than schemas with `.messages()`: a
 * schema's own messages are preferences, which joi merges into the caller's on every validation
 * of it (a few percent of a create's CPU); a type's messages are part of its definition.
 */
const J = Joi.extend(
  (joi: Joi.Root) => ({
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
  }),
  (joi: Joi.Root) => ({
    type: 'timezone',
    base: (joi as Root).text(),
    messages: { 'timezone.invalid': '{{#label}} must be an IANA time zone such as Asia/Shanghai' },
  }),
  (joi: Joi.Root) => ({
    type: 'instant',
    base: joi.alternatives().try(
      joi.number().integer().min(0),
      (joi as Root)
        .text()
        .max(40)
        .custom((value: string, helpers) => {
          const parsed = parseIsoInstant(value);
          return 'ms' in parsed ? value : helpers.message({ custom: `{{#label}} ${parsed.problem}` });
        }),
    ),
    messages: { 'alternatives.types': `{{#label}} ${AT_MESSAGE}` },
  }),
) as Root;

/** A text field: `text().trim().min(1).max(100)`, `text().multiline()`… */
export function text(): TextSchema {
  return J.text();
}

/**
 * An IANA zone in any letter case, cleaned to its canonical spelling (`asia/shanghai` →
 * `Asia/Shanghai`); anything else is a 400 naming the field. Only the canonical spelling goes on.
 */
export function timezone(): Joi.StringSchema {
  return J.timezone()
    .max(64)
    .custom((value: string, helpers) => canonicalZone(value) ?? helpers.error('timezone.invalid'));
}

/** `at`: epoch milliseconds, or ISO 8601 with an offset naming a date and time that exist. */
export function at(): Joi.AlternativesSchema {
  return J.instant();
}
