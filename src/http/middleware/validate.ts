import type Joi from 'joi';
import type { Next } from 'koa';
import { ValidationError } from '../../errors';
import type { AppContext } from '../context';

export interface ValidateSchemas {
  body?: Joi.ObjectSchema;
  query?: Joi.ObjectSchema;
  params?: Joi.ObjectSchema;
}

/**
 * Validates the parts of a request that have a schema, reporting every invalid field (path +
 * message) rather than the first, and puts the cleaned values on ctx.state.input as
 * `{ ...params, ...query, ...body }` (body wins).
 */
export function validate(schemas: ValidateSchemas) {
  return async function validateMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const details: { path: string; message: string }[] = [];
    const cleaned: Record<string, unknown> = {};
    const parts: [keyof ValidateSchemas, unknown][] = [
      ['params', (ctx as unknown as { params?: unknown }).params ?? {}],
      ['query', ctx.query],
      ['body', (ctx.request as { body?: unknown }).body ?? {}],
    ];
    for (const [part, raw] of parts) {
      const schema = schemas[part];
      if (!schema) continue;
      const { value, error } = schema.validate(raw, {
        abortEarly: false,
        stripUnknown: false,
        convert: true,
      });
      if (error) {
        for (const d of error.details) {
          details.push({ path: d.path.join('.') || part, message: d.message.replace(/"/g, '') });
        }
      } else {
        Object.assign(cleaned, value);
      }
    }
    if (details.length > 0) throw new ValidationError(details);
    ctx.state.input = cleaned;
    await next();
  };
}
