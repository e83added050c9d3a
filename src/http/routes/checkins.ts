import Router from '@koa/router';
import Joi from 'joi';
import { CHECKIN_LIMITS, type Fence } from '../../domain/checkin';
import type { CheckinAttendance } from '../../services/checkin-attendance';
import type { CheckinInput, CheckinService, SignInput, SignLocation } from '../../services/checkin-service';
import { draftOf, inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import {
  presentCheckin,
  presentCheckinPage,
  presentCode,
  presentRemind,
  presentSign,
  presentStats,
} from '../presenters/checkin';
import { at, required, text, typedObject, withDefault } from '../schemas';

interface IdParams {
  id: string;
}
interface CodeQuery {
  qrcode: boolean; // false: only the code (a screen polling every few seconds has the QR already)
}
interface PageQuery {
  cursor?: string; // the last id of the previous page
  limit: number;
}
type Empty = Record<string, never>;

const idParams = typedObject<IdParams>({ id: required(Joi.string().pattern(/^\d{1,15}$/)) });
const fence = typedObject<Fence>({
  lat: required(Joi.number().min(-90).max(90)),
  lng: required(Joi.number().min(-180).max(180)),
  radiusM: required(Joi.number().integer().min(CHECKIN_LIMITS.radiusMinM).max(CHECKIN_LIMITS.radiusMaxM)),
});
const createBody = typedObject<CheckinInput>({
  title: required(text().trim().min(1).max(CHECKIN_LIMITS.titleLength)),
  startsAt: required(at()),
  endsAt: required(at()),
  lateAfter: at(),
  location: fence,
});
const location = typedObject<SignLocation>({
  lat: required(Joi.number().min(-90).max(90)),
  lng: required(Joi.number().min(-180).max(180)),
  accuracy: Joi.number().min(0).max(100_000),
});
const signBody = typedObject<SignInput>({
  code: required(
    text()
      .trim()
      .pattern(/^\d{6}$/)
      .messages({ 'string.pattern.base': '{{#label}} must be the 6 digits shown on the screen' }),
  ),
  location,
});
const codeQuery = typedObject<CodeQuery>({ qrcode: withDefault(Joi.boolean(), true) });
const emptyBody = typedObject<Empty>({});
const pageQuery = typedObject<PageQuery>({
  cursor: Joi.string().pattern(/^\d{1,15}$/),
  limit: withDefault(Joi.number().integer().min(1).max(100), 20),
});

/**
 * Meeting check-in (README.md#meeting-check-in): create in a group (managers), list a group's
 * (managers all, members the ones not ended), read (members),
 * the rotating code and QR code, stats and remind (managers), sign in (members).
 */
export function checkinRoutes(deps: {
  checkins: CheckinService;
  attendance: CheckinAttendance;
  auth: Auth;
}): Router<AppState> {
  const { checkins, attendance, auth } = deps;
  const router = new Router<AppState>();

  const create = validate({ params: idParams, body: createBody }, { collect: true });
  router.post('/api/groups/:id/checkins', auth(), create, async (ctx: AppContext) => {
    const draft = draftOf(ctx, create);
    const created = await checkins.create(
      sessionOf(ctx).openid,
      draft.params.id,
      draft.input,
      draft.problems,
    );
    reply(ctx, presentCheckin(created), 201);
  });

  const list = validate({ params: idParams, query: pageQuery });
  router.get('/api/groups/:id/checkins', auth(), list, async (ctx: AppContext) => {
    const { params, query } = inputOf(ctx, list);
    reply(ctx, presentCheckinPage(await checkins.list(sessionOf(ctx).openid, params.id, query)));
  });

  const one = validate({ params: idParams });
  router.get('/api/checkins/:id', auth(), one, async (ctx: AppContext) => {
    reply(ctx, presentCheckin(await checkins.view(sessionOf(ctx).openid, inputOf(ctx, one).params.id)));
  });

  const code = validate({ params: idParams, query: codeQuery });
  router.get('/api/checkins/:id/code', auth(), code, async (ctx: AppContext) => {
    const { params, query } = inputOf(ctx, code);
    ctx.set('Cache-Control', 'no-store'); // the code changes every 30 s
    reply(ctx, presentCode(await checkins.code(sessionOf(ctx).openid, params.id, query.qrcode)));
  });

  const sign = validate({ params: idParams, body: signBody });
  router.post('/api/checkins/:id/sign', auth(), sign, async (ctx: AppContext) => {
    const { params, body } = inputOf(ctx, sign);
    reply(ctx, presentSign(await checkins.sign(sessionOf(ctx).openid, params.id, body)));
  });

  const stats = validate({ params: idParams });
  router.get('/api/checkins/:id/stats', auth(), stats, async (ctx: AppContext) => {
    reply(ctx, presentStats(await attendance.stats(sessionOf(ctx).openid, inputOf(ctx, stats).params.id)));
  });

  const remind = validate({ params: idParams, body: emptyBody });
  router.post('/api/checkins/:id/remind', auth(), remind, async (ctx: AppContext) => {
    reply(ctx, presentRemind(await attendance.remind(sessionOf(ctx).openid, inputOf(ctx, remind).params.id)));
  });

  return router;
}
