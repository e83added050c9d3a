import type { ParameterizedContext } from 'koa';
import type { Logger } from '../logger';
import type { Session } from '../services/login-service';

/** What middleware puts on ctx.state for the handlers after it. */
export interface AppState {
  requestId: string;
  log: Logger;
  session?: Session; // set by auth()
  input?: unknown; // set by validate(): the cleaned body/query/params
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
  return ctx.state.input as T;
}
