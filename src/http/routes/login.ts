import Router from '@koa/router';
import Joi from 'joi';
import type { LoginService } from '../../services/login-service';
import { inputOf, reply, type AppContext, type AppState } from '../context';
import { validate } from '../middleware/validate';

const loginBody = Joi.object({
  code: Joi.string().trim().min(1).max(128).required(),
});

export function loginRoutes(deps: { logins: LoginService }): Router<AppState> {
  const router = new Router<AppState>();
  router.post('/api/login', validate({ body: loginBody }), async (ctx: AppContext) => {
    const { code } = inputOf<{ code: string }>(ctx);
    reply(ctx, await deps.logins.login(code));
  });
  return router;
}
