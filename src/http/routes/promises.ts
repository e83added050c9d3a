import Router from '@koa/router';
import Joi from 'joi';
import { isDay, type PromiseType } from '../../domain/promise';
import type { PromiseInput, PromiseService } from '../../services/promise-service';
import type { PromiseKeeping } from '../../services/promise-keeping';
import { draftOf, inputOf, reply, sessionOf, shapeOf, type AppContext, type AppState } from '../context';
import { idempotencyOf } from '../idempotency-key';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentInvite, presentKeep, presentPromise, presentPromisePage } from '../presenters/promise';
import { presentQuotaHint } from '../presenters/reminder';
import { required, text, timezone, typedObject, withDefault } from '../schemas';

// The original client sends 0 for "give" and 1 for "ask".
const TYPES = {
  give: 'give',
  ask: 'ask',
  '0': 'give',
  '1': 'ask',
} as const satisfies Record<string, PromiseType>;
type TypeName = keyof typeof TYPES;
const TYPE_NAMES = Object.keys(TYPES).filter((name): name is TypeName => name in TYPES);

interface TypeParams {
  type: TypeName;
}
interface IdParams {
  id: string;
}
interface CodeParams {
  code: string;
}
interface ListQuery {
  cursor?: string; // the last id of the previous page
  limit: number;
}
interface KeepBody {
  date?: string; // YYYY-MM-DD in the promise's zone; default today there
}
type Empty = Record<string, never>;
type CreateBody = PromiseInput & { detail: string }; // detail defaults to ''

const typeParams = typedObject<TypeParams>({
  type: required(Joi.string<TypeName>().valid(...TYPE_NAMES)),
});
const idParams = typedObject<IdParams>({ id: required(Joi.string().pattern(/^\d{1,15}$/)) });
// Any code is looked up (an unknown one is a 404), within a bound.
const codeParams = typedObject<CodeParams>({ code: required(Joi.string().max(64)) });
const createBody = typedObject<CreateBody>({
  cid: Joi.alternatives().try(text().max(64), Joi.number().integer()),
  hour: required(Joi.number().integer().min(0).max(23)),
  min: required(Joi.number().integer().min(0).max(59)),
  detail: withDefault(text().multiline().trim().allow('').max(500), ''),
  counterpartName: text().trim().allow('').max(20),
  timezone: timezone(),
});
const listQuery = typedObject<ListQuery>({
  cursor: Joi.string().pattern(/^\d{1,15}$/),
  limit: withDefault(Joi.number().integer().min(1).max(100), 20),
});
const keepBody = typedObject<KeepBody>({
  date: text()
    .max(10)
    .custom((value: string, helpers) => (isDay(value) ? value : helpers.error('any.invalid')))
    .messages({ 'any.invalid': '{{#label}} must be a day that exists, written YYYY-MM-DD' }),
});
const emptyBody = typedObject<Empty>({});
// The promise's fields in the reminder rules' terms, for problems found on either side.
const PROMISE_FIELDS = { hour: 'repeat', min: 'repeat' };

/**
 * Promises between two people (docs/architecture.md#promises): create with an invite, read and
 * accept the invite, keep a day, list, read, end. Invites are matched before `:id` (digits only).
 */
export function promiseRoutes(deps: {
  promises: PromiseService;
  keeping: PromiseKeeping;
  auth: Auth;
}): Router<AppState> {
  const { promises, keeping, auth } = deps;
  const router = new Router<AppState>();

  const invite = validate({ params: codeParams });
  router.get('/api/promises/invites/:code', auth(), invite, async (ctx: AppContext) => {
    const { openid } = sessionOf(ctx);
    const found = await promises.invite(openid, inputOf(ctx, invite).params.code);
    reply(ctx, presentInvite(found, openid));
  });

  const accept = validate({ params: codeParams, body: emptyBody });
  router.post('/api/promises/invites/:code/accept', auth(), accept, async (ctx: AppContext) => {
    const { openid } = sessionOf(ctx);
    reply(ctx, presentPromise(await promises.accept(openid, inputOf(ctx, accept).params.code)));
  });

  const list = validate({ query: listQuery });
  router.get('/api/promises', auth(), list, async (ctx: AppContext) => {
    const { query } = inputOf(ctx, list);
    reply(ctx, presentPromisePage(await promises.reader.list(sessionOf(ctx).openid, query)));
  });

  const one = validate({ params: idParams });
  router.get('/api/promises/:id', auth(), one, async (ctx: AppContext) => {
    reply(ctx, presentPromise(await promises.reader.get(sessionOf(ctx).openid, inputOf(ctx, one).params.id)));
  });

  const keep = validate({ params: idParams, body: keepBody });
  router.post('/api/promises/:id/keep', auth(), keep, async (ctx: AppContext) => {
    const { params, body } = inputOf(ctx, keep);
    reply(ctx, presentKeep(await keeping.keep(sessionOf(ctx).openid, params.id, body.date)));
  });

  const end = validate({ params: idParams });
  router.delete('/api/promises/:id', auth(), end, async (ctx: AppContext) => {
    reply(ctx, presentPromise(await promises.end(sessionOf(ctx).openid, inputOf(ctx, end).params.id)));
  });

  const create = validate({ params: typeParams, body: createBody }, { collect: true });
  router.post('/api/promises/:type', auth(), create, async (ctx: AppContext) => {
    const draft = draftOf(ctx, create);
    const idempotency = idempotencyOf(ctx, draft);
    const { promise, replayed, quota } = await promises.create(
      sessionOf(ctx).openid,
      TYPES[draft.params.type],
      draft.input,
      { idempotency, shape: shapeOf(draft, PROMISE_FIELDS) },
    );
    if (replayed) ctx.set('Idempotent-Replayed', 'true');
    reply(ctx, { ...presentPromise(promise), quota: presentQuotaHint(quota) }, 201);
  });

  return router;
}
