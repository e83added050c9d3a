import Router from '@koa/router';
import type { LoginService } from '../../services/login-service';
import { inputOf, reply, type AppContext, type AppState } from '../context';
import { validate } from '../middleware/validate';
import { presentLogin } from '../presenters/login';
import { required, text, typedObject } from '../schemas';

interface LoginBody {
  code: string; // from wx.login
}

// Refused here, a code that is not text (a lone surrogate) never reaches WeChat's URL encoding,
// whose failure would read as "WeChat is unavailable".
const loginBody = typedObject<LoginBody>({
  code: required(text().trim().min(1).max(128)),
});

export function loginRoutes(deps: { logins: LoginService }): Router<AppState> {
  const router = new Router<AppState>();
  const checked = validate({ body: loginBody });
  router.post('/api/login', checked, async (ctx: AppContext) => {
    const { code } = inputOf(ctx, checked).body;
    reply(ctx, presentLogin(await deps.logins.login(code)));
  });
  return router;
}
