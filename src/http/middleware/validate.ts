import type Joi from 'joi';
import type { Next } from 'koa';
import { ValidationError, type ErrorDetail } from '../../errors';
import type { AppContext } from '../context';

export interface ValidateSchemas {
  body?: Joi.ObjectSchema;
  query?: Joi.ObjectSchema;
  params?: Joi.ObjectSchema;
}

export interface ValidateOptions {
  /**
   * Body problems do not end the request here: they go to ctx.state.problems with the fields that
   * passed, for a service that checks rules of its own (schedule, template) to answer one 400
   * naming all of them (read with draftOf()). Problems of params and query still end it.
   */
  collect?: boolean;
}

/**
 * Validates the parts of a request that have a schema, reporting every invalid field (path +
 * message) rather than the first, and puts the cleaned values on ctx.state.input as
 * `{ ...params, ...query, ...body }` (body wins).
 */
export function validate(schemas: ValidateSchemas, options: ValidateOptions = {}) {
  return async function validateMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const routeProblems: ErrorDetail[] = [];
    const bodyProblems: ErrorDetail[] = [];
    const cleaned: Record<string, unknown> = {};
    const parts: [keyof ValidateSchemas, unknown][] = [
      ['params', (ctx as unknown as { params?: unknown }).params ?? {}],
      ['query', ctx.query],
      ['body', ctx.state.body ?? {}],
    ];
    for (const [part, raw] of parts) {
      const schema = schemas[part];
      if (!schema) continue;
      const { value, error } = schema.validate(raw, {
        abortEarly: false,
        stripUnknown: false,
        convert: true,
      });
      if (!error) {
        Object.assign(cleaned, value);
        continue;
      }
      const problems = part === 'body' ? bodyProblems : routeProblems;
      const invalid = new Set<string>();
      for (const d of error.details) {
        const path = d.path.join('.') || part;
        problems.push({ path, message: d.message.replace(/"/g, '') });
        invalid.add(String(d.path[0] ?? ''));
      }
      // joi's value holds the converted fields, the valid ones among them usable as they are.
      if (part === 'body' && !invalid.has('') && isPlainObject(value)) {
        for (const [key, field] of Object.entries(value)) if (!invalid.has(key)) cleaned[key] = field;
      }
    }
    if (routeProblems.length > 0 || (bodyProblems.length > 0 && !options.collect)) {
      throw new ValidationError([...routeProblems, ...bodyProblems]);
    }
    ctx.state.input = cleaned;
    if (bodyProblems.length > 0) ctx.state.problems = bodyProblems;
    await next();
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
