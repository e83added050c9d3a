import Router from '@koa/router';
import Joi from 'joi';
import type { LoginService } from '../../services/login-service';
import { inputOf, reply, type AppContext, type AppState } from '../context';
import { validate } from '../middleware/validate';
import { text } from '../schemas';

// Refused here, a code that is not text (a lone surrogate) never reaches WeChat's URL encoding,
// whose failure would read as "WeChat is unavailable".
const loginBody = Joi.object({
  code: text().trim().min(1).max(128).required(),
});

export function loginRoutes(deps: { logins: LoginService }): Router<AppState> {
  const router = new Router<AppState>();
  router.post('/api/login', validate({ body: loginBody }), async (ctx: AppContext) => {
    const { code } = inputOf<{ code: string }>(ctx);
    reply(ctx, await deps.logins.login(code));
  });
  return router;
}
