import Router from '@koa/router';
import Joi from 'joi';
import type { Next } from 'koa';
import type { EchoQuery, PushQuery, PushService } from '../../services/push-service';
import { inputOf, type AppContext, type AppState } from '../context';
import { rawBody, rawBodyOf } from '../middleware/raw-body';
import { validate } from '../middleware/validate';
import { required, typedObject } from '../schemas';

/** The message-push URL configured in the mini-program console; the JSON parser skips it. */
export const WX_MESSAGE_PATH = '/api/wx/message';
const BODY_LIMIT_BYTES = 64 * 1024;

const signature = Joi.string().max(64);
const timestamp = Joi.string().pattern(/^\d{1,12}$/, 'decimal seconds');
// Nonces become part of a Redis key: keep them to a harmless alphabet.
const nonce = Joi.string().pattern(/^[A-Za-z0-9_-]{1,64}$/, 'letters and digits');

const echoQuery = typedObject<EchoQuery>({
  signature: required(signature),
  timestamp: required(timestamp),
  nonce: required(nonce),
  echostr: required(Joi.string().min(1).max(512)),
}).unknown(true); // WeChat may add parameters of its own

/** The push's query; signature and msg_signature are required by mode (encrypt_type). */
type PushParams = PushQuery & {
  openid?: string; // the sender, which the body names too
};

const pushQuery = typedObject<PushParams>({
  signature: signature.when('encrypt_type', { is: 'aes', otherwise: Joi.required() }),
  timestamp: required(timestamp),
  nonce: required(nonce),
  encrypt_type: Joi.string<'aes' | 'raw'>().valid('aes', 'raw'),
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

  const echo = validate({ query: echoQuery });
  router.get(WX_MESSAGE_PATH, requirePush(push), echo, async (ctx: AppContext) => {
    text(ctx, await push.verifyEcho(inputOf(ctx, echo).query, ctx.state.log));
  });

  const pushed = validate({ query: pushQuery });
  router.post(
    WX_MESSAGE_PATH,
    requirePush(push),
    pushed,
    rawBody({ limit: BODY_LIMIT_BYTES, types: ['text/xml', 'application/xml', 'application/json'] }),
    async (ctx: AppContext) => {
      const format = ctx.is('application/json') ? 'json' : 'xml';
      const answer = await push.receive(inputOf(ctx, pushed).query, rawBodyOf(ctx), format, ctx.state.log);
      if (!answer.reply) return text(ctx, 'success');
      // A passive reply (customer service's transfer to human agents), encrypted in secure mode.
      ctx.type = answer.reply.type;
      ctx.body = answer.reply.body;
    },
  );

  return router;
}
