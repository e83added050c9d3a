import type { ParameterizedContext } from 'koa';
import type { ErrorDetail } from '../errors';
import type { Logger } from '../logger';
import type { Session } from '../services/login-service';
import type { Shape } from '../services/reminder-rules';

/** What middleware puts on ctx.state for the handlers after it. */
export interface AppState {
  requestId: string;
  log: Logger;
  session?: Session; // set by auth()
  body?: unknown; // set by jsonBody(): the parsed JSON body ({} when there is none)
  rawBody?: string; // set by rawBody(): the body as text, on routes that parse their own format
  input?: unknown; // set by validate(): the cleaned body/query/params
  problems?: ErrorDetail[]; // set by validate({ collect: true }): shape problems left for the service
}

export type AppContext = ParameterizedContext<AppState>;

/** Writes the success envelope of SPEC §4. */
export function reply(ctx: AppContext, data: unknown, status = 200): void {
  ctx.status = status;
  ctx.body = { errcode: 0, errmsg: 'ok', data };
}

/** The session set by auth(); calling it on a route without auth() is a programming error. */
export function sessionOf(ctx: AppContext): Session {
  if (!ctx.state.session) throw new Error('route is missing auth()');
  return ctx.state.session;
}

/** The input validate() cleaned, typed by the route that declared the schema. */
export function inputOf<T>(ctx: AppContext): T {
  // A route that collects shape problems must hand them on (draftOf): reading the input as if
  // clean would store what failed validation.
  if (ctx.state.problems?.length) throw new Error('route validates with collect: read it with draftOf()');
  return ctx.state.input as T;
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

export function draftOf<T>(ctx: AppContext): Draft<T> {
  const problems = ctx.state.problems ?? [];
  const invalid = new Set(problems.map((p) => p.path.split('.')[0] ?? p.path));
  return { input: ctx.state.input as Partial<T>, problems, invalid };
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
