import Router from '@koa/router';
import Joi from 'joi';
import {
  LOGIN_SCENE_PREFIX,
  LOGIN_TTL_MS,
  NONCE_PATTERN,
  type ConsoleAuth,
  type NewConsoleSession,
} from '../../services/console-auth';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import { CONSOLE_COOKIE, consoleSessionOf, type Auth } from '../middleware/auth';
import { sameOrigin } from '../middleware/csrf';
import { validate } from '../middleware/validate';
import {
  presentConsoleLogin,
  presentConsoleSession,
  type ConsoleApprovedView,
  type ConsolePollView,
  type ConsoleSignedOutView,
} from '../presenters/console';
import { required, text, typedObject } from '../schemas';

/** The poll secret of the browser that started a QR sign-in; sent only to the sign-in's routes. */
export const LOGIN_COOKIE = 'tixing_console_login';
const LOGIN_COOKIE_PATH = '/api/console/login';

interface OperatorBody {
  token: string;
}
interface NonceParams {
  nonce: string;
}
interface SimulateBody {
  name: string; // the sandbox user, as in a `name#1` login code
}
type Empty = Record<string, never>;

const operatorBody = typedObject<OperatorBody>({ token: required(Joi.string().min(1).max(512)) });
const nonceParams = typedObject<NonceParams>({
  nonce: required(Joi.string().pattern(NONCE_PATTERN, 'a nonce')),
});
const simulateBody = typedObject<SimulateBody>({
  name: required(
    text()
      .trim()
      .pattern(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and -')
      .messages({ 'string.pattern.name': '{{#label}} must be 1 to 32 letters, digits, _ or -' }),
  ),
});
const emptyBody = typedObject<Empty>({});

/**
 * The web console's sign-in and session: an operator posts ADMIN_TOKEN once; a
 * publisher's page shows a QR code that the mini-program user approves, and polls. Either way the
 * server sets the HttpOnly, SameSite=Strict session cookie (Secure over HTTPS) and the page's
 * script gets only the CSRF token. Sign-in writes are refused from another origin.
 */
export function consoleRoutes(deps: {
  auth: ConsoleAuth;
  guard: Auth;
  sessionTtlSeconds: number;
}): Router<AppState> {
  const { auth, guard, sessionTtlSeconds } = deps;
  const router = new Router<AppState>();

  const setSession = (ctx: AppContext, opened: NewConsoleSession) => {
    ctx.cookies.set(CONSOLE_COOKIE, opened.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: ctx.secure,
      path: '/',
      maxAge: sessionTtlSeconds * 1000,
      overwrite: true,
    });
  };
  const clear = (ctx: AppContext, name: string, path: string) =>
    ctx.cookies.set(name, null, {
      httpOnly: true,
      sameSite: 'strict',
      secure: ctx.secure,
      path,
      overwrite: true,
    });

  const operator = validate({ body: operatorBody });
  router.post('/api/console/operator-login', sameOrigin(), operator, async (ctx: AppContext) => {
    const opened = await auth.operatorLogin(inputOf(ctx, operator).body.token);
    setSession(ctx, opened);
    reply(ctx, presentConsoleSession(opened.session, auth.sandbox));
  });

  const start = validate({ body: emptyBody });
  router.post('/api/console/login', sameOrigin(), start, async (ctx: AppContext) => {
    const started = await auth.start(ctx.ip || 'unknown');
    ctx.cookies.set(LOGIN_COOKIE, started.poller, {
      httpOnly: true,
      sameSite: 'strict',
      secure: ctx.secure,
      path: LOGIN_COOKIE_PATH,
      maxAge: LOGIN_TTL_MS,
      overwrite: true,
    });
    ctx.set('Cache-Control', 'no-store');
    reply(ctx, presentConsoleLogin(started, `${LOGIN_SCENE_PREFIX}${started.nonce}`, auth.sandbox), 201);
  });

  const poll = validate({ params: nonceParams });
  router.get('/api/console/login/:nonce', poll, async (ctx: AppContext) => {
    const result = await auth.poll(inputOf(ctx, poll).params.nonce, ctx.cookies.get(LOGIN_COOKIE));
    ctx.set('Cache-Control', 'no-store');
    if (result.status === 'pending') return reply<ConsolePollView>(ctx, { status: 'pending' });
    setSession(ctx, result);
    clear(ctx, LOGIN_COOKIE, LOGIN_COOKIE_PATH);
    reply<ConsolePollView>(ctx, {
      status: 'approved',
      session: presentConsoleSession(result.session, auth.sandbox),
    });
  });

  // The mini-program's step: the user who scanned approves, with their Bearer session only.
  const approve = validate({ params: nonceParams, body: emptyBody });
  router.post(
    '/api/console/login/:nonce/approve',
    guard({ bearer: true }),
    approve,
    async (ctx: AppContext) => {
      await auth.approve(inputOf(ctx, approve).params.nonce, sessionOf(ctx).openid);
      reply<ConsoleApprovedView>(ctx, { approved: true });
    },
  );

  // Sandbox mode only: no real mini-program can scan, so the page approves as a sandbox user.
  // With real WeChat it does nothing but say so (404).
  const simulate = validate({ params: nonceParams, body: simulateBody });
  router.post('/api/console/login/:nonce/simulate', sameOrigin(), simulate, async (ctx: AppContext) => {
    const { params, body } = inputOf(ctx, simulate);
    await auth.simulate(params.nonce, ctx.cookies.get(LOGIN_COOKIE), body.name);
    reply<ConsoleApprovedView>(ctx, { approved: true });
  });

  router.get('/api/console/session', guard({ level: 'console' }), async (ctx: AppContext) => {
    ctx.set('Cache-Control', 'no-store');
    reply(ctx, presentConsoleSession(consoleSessionOf(ctx), auth.sandbox));
  });

  const logout = validate({ body: emptyBody });
  router.post('/api/console/logout', guard({ level: 'console' }), logout, async (ctx: AppContext) => {
    await auth.logout(consoleSessionOf(ctx));
    clear(ctx, CONSOLE_COOKIE, '/');
    reply<ConsoleSignedOutView>(ctx, { signedOut: true });
  });

  return router;
}
