import type { ParameterizedContext } from 'koa';
import type { ErrorDetail } from '../errors';
import type { Logger } from '../logger';
import type { Session } from '../services/login-service';
import type { Shape } from '../services/reminder-rules';
import { cleanedBy, type RequestInput, type Validator } from './middleware/validate';
import { envelope } from './presenters/envelope';

/** What middleware puts on ctx.state for the handlers after it. */
export interface AppState {
  requestId: string;
  log: Logger;
  session?: Session; // set by auth()
  body?: unknown; // set by jsonBody(): the parsed JSON body ({} when there is none)
  rawBody?: string; // set by rawBody(): the body as text, on routes that parse their own format
  input?: RequestInput; // set by validate(): the cleaned params, query and body, each on its own
  problems?: ErrorDetail[]; // set by validate({ collect: true }): shape problems left for the service
}

export type AppContext = ParameterizedContext<AppState>;

/** Writes the success envelope (README.md#http-api). */
export function reply<View extends object>(ctx: AppContext, data: View, status = 200): void {
  ctx.status = status;
  ctx.body = envelope(data);
}

/** The session set by auth(); calling it on a route without auth() is a programming error. */
export function sessionOf(ctx: AppContext): Session {
  if (!ctx.state.session) throw new Error('route is missing auth()');
  return ctx.state.session;
}

/** The input `checked` (the route's validate()) cleaned, typed by its schemas. */
export function inputOf<P, Q, B>(ctx: AppContext, checked: Validator<P, Q, B>): RequestInput<P, Q, B> {
  // A route that collects shape problems must hand them on (draftOf): reading the input as if
  // clean would store what failed validation.
  if (ctx.state.problems?.length) throw new Error('route validates with collect: read it with draftOf()');
  return cleanedBy(ctx, checked);
}

/**
 * What a validate({ collect: true }) route hands its service, so that one 400 names the shape
 * problems and the rules only the service can check (schedule, template) together: the fields
 * that passed (`input`), the problems of the others, and the top-level names of those others.
 */
export interface Draft<T> {
  input: Partial<T>;
  problems: ErrorDetail[];
  invalid: ReadonlySet<string>;
}

/** The draft of the body `checked` validated with `collect: true`, and its params and query (always clean). */
export function draftOf<P, Q, B>(
  ctx: AppContext,
  checked: Validator<P, Q, B>,
): Draft<B> & { params: P; query: Q } {
  const { params, query, body } = cleanedBy(ctx, checked);
  const problems = ctx.state.problems ?? [];
  const invalid = new Set(problems.map((p) => p.path.split('.')[0] ?? p.path));
  return { params, query, input: body, problems, invalid };
}

/**
 * A draft as the Shape a service checks it with, for a route whose body names the service's
 * fields otherwise: `fields` maps body field → service field (`reminderTime` → `at`), and the
 * service's problems come back under the body's names.
 */
export function shapeOf(draft: Draft<unknown>, fields: Readonly<Record<string, string>> = {}): Shape {
  const invalid = new Set([...draft.invalid].map((name) => fields[name] ?? name));
  const names: Record<string, string> = {};
  const services = Object.values(fields);
  for (const [body, service] of Object.entries(fields)) {
    // Two body fields feeding one service field (hour and min → repeat): neither is its name.
    if (services.indexOf(service) === services.lastIndexOf(service)) names[service] = body;
  }
  return { problems: draft.problems, invalid, names };
}
