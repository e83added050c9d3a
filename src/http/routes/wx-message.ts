import Router from '@koa/router';
import Joi from 'joi';
import type { Next } from 'koa';
import type { EchoQuery, PushQuery, PushService } from '../../services/push-service';
import { inputOf, type AppContext, type AppState } from '../context';
import { rawBody, rawBodyOf } from '../middleware/raw-body';
import { validate } from '../middleware/validate';

/** The message-push URL configured in the mini-program console; the JSON parser skips it. */
export const WX_MESSAGE_PATH = '/api/wx/message';
const BODY_LIMIT_BYTES = 64 * 1024;

const signature = Joi.string().max(64);
const timestamp = Joi.string().pattern(/^\d{1,12}$/, 'decimal seconds');
// Nonces become part of a Redis key: keep them to a harmless alphabet.
const nonce = Joi.string().pattern(/^[A-Za-z0-9_-]{1,64}$/, 'letters and digits');

const echoQuery = Joi.object({
  signature: signature.required(),
  timestamp: timestamp.required(),
  nonce: nonce.required(),
  echostr: Joi.string().min(1).max(512).required(),
}).unknown(true); // WeChat may add parameters of its own

const pushQuery = Joi.object({
  signature: signature.when('encrypt_type', { is: 'aes', otherwise: Joi.required() }),
  timestamp: timestamp.required(),
  nonce: nonce.required(),
  encrypt_type: Joi.string().valid('aes', 'raw'),
  msg_signature: signature.when('encrypt_type', { is: 'aes', then: Joi.required() }),
  openid: Joi.string().max(64),
}).unknown(true);

function requirePush(push: PushService) {
  return async function requirePushMiddleware(_ctx: AppContext, next: Next): Promise<void> {
    push.requireConfigured(); // 503 before anything is read
    await next();
  };
}

function text(ctx: AppContext, body: string): void {
  ctx.type = 'text/plain'; // set first, so an echostr starting with '<' is not served as HTML
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.body = body;
}

export function wxMessageRoutes(deps: { push: PushService }): Router<AppState> {
  const { push } = deps;
  const router = new Router<AppState>();

  router.get(WX_MESSAGE_PATH, requirePush(push), validate({ query: echoQuery }), async (ctx: AppContext) => {
    text(ctx, await push.verifyEcho(inputOf<EchoQuery>(ctx), ctx.state.log));
  });

  router.post(
    WX_MESSAGE_PATH,
    requirePush(push),
    validate({ query: pushQuery }),
    rawBody({ limit: BODY_LIMIT_BYTES, types: ['text/xml', 'application/xml', 'application/json'] }),
    async (ctx: AppContext) => {
      const format = ctx.is('application/json') ? 'json' : 'xml';
      await push.receive(inputOf<PushQuery>(ctx), rawBodyOf(ctx), format, ctx.state.log);
      text(ctx, 'success');
    },
  );

  return router;
}
