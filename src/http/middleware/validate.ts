import type Joi from 'joi';
import type { Next } from 'koa';
import { invalidRequest, type ErrorDetail } from '../../errors';
import type { TypedSchema } from '../../infra/typed-schema';
import type { AppContext } from '../context';

/** The schemas of a route's parts (typedObject); a part without one is read as `{}`. */
export interface ValidateSchemas<P, Q, B> {
  params?: TypedSchema<P>;
  query?: TypedSchema<Q>;
  body?: TypedSchema<B>;
}

/**
 * The cleaned input on ctx.state.input, each part on its own: a body field named like a path
 * parameter or a query parameter (`id`) is the body's, never theirs.
 */
export interface RequestInput<P = unknown, Q = unknown, B = unknown> {
  params: P;
  query: Q;
  body: B;
}

export interface ValidateOptions {
  /**
   * Body problems do not end the request here: they go to ctx.state.problems with the fields that
   * passed, for a service that checks rules of its own (schedule, template) to answer one 400
   * naming all of them (read with draftOf()). Problems of params and query still end it.
   */
  collect?: boolean;
}

declare const INPUT: unique symbol;

/** validate()'s middleware; it carries the types of what it cleans, for inputOf() and draftOf(). */
export interface Validator<P, Q, B> {
  (ctx: AppContext, next: Next): Promise<void>;
  readonly [INPUT]?: RequestInput<P, Q, B>; // type-only
}

type None = Record<string, never>;

const PARTS = ['params', 'query', 'body'] as const satisfies readonly (keyof RequestInput)[];

const PREFERENCES: Joi.ValidationOptions = { abortEarly: false, stripUnknown: false, convert: true };

// Which validator cleaned a request's input, so that reading it as another's types fails loudly.
const cleanedWith = new WeakMap<AppContext, Validator<unknown, unknown, unknown>>();

/**
 * Validates the parts of a request that have a schema, reporting every invalid field (path +
 * message) rather than the first, and puts the cleaned values on ctx.state.input, part by part.
 */
export function validate<P = None, Q = None, B = None>(
  schemas: ValidateSchemas<P, Q, B>,
  options: ValidateOptions = {},
): Validator<P, Q, B> {
  // Preferences bound once: passed on each validate() call, joi merges them (and recompiles
  // the messages they carry) per request.
  const bound = {
    params: schemas.params?.prefs(PREFERENCES),
    query: schemas.query?.prefs(PREFERENCES),
    body: schemas.body?.prefs(PREFERENCES),
  };
  const validator = async function validateMiddleware(ctx: AppContext, next: Next): Promise<void> {
    const routeProblems: ErrorDetail[] = [];
    const bodyProblems: ErrorDetail[] = [];
    const input: RequestInput = { params: {}, query: {}, body: {} };
    for (const part of PARTS) {
      const schema = bound[part];
      if (!schema) continue;
      const { value, error } = schema.validate(rawPart(ctx, part));
      if (!error) {
        input[part] = value;
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
        input.body = Object.fromEntries(Object.entries(value).filter(([key]) => !invalid.has(key)));
      }
    }
    if (routeProblems.length > 0 || (bodyProblems.length > 0 && !options.collect)) {
      throw invalidRequest([...routeProblems, ...bodyProblems]);
    }
    ctx.state.input = input;
    cleanedWith.set(ctx, validator);
    if (bodyProblems.length > 0) ctx.state.problems = bodyProblems;
    await next();
  };
  return validator;
}

/**
 * The input `checked` cleaned on this request, typed by its schemas. The body holds only the
 * fields that passed when validate({ collect: true }) left problems (draftOf reads it so).
 */
export function cleanedBy<P, Q, B>(ctx: AppContext, checked: Validator<P, Q, B>): RequestInput<P, Q, B> {
  const input = ctx.state.input;
  if (!input || cleanedWith.get(ctx) !== checked) throw new Error('route reads input it did not validate');
  // Written above by `checked`, whose schemas validate to P, Q and B.
  return input as RequestInput<P, Q, B>;
}

/** A part of the request as received; read only for a schema (ctx.query parses on each read). */
function rawPart(ctx: AppContext, part: keyof RequestInput): unknown {
  if (part === 'params') return (ctx as unknown as { params?: unknown }).params ?? {};
  if (part === 'query') return ctx.query;
  return ctx.state.body ?? {};
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
