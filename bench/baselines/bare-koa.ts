/**
 * Baseline process for the API benchmark: a bare Koa route doing one HSET per request, with the
 * same JSON body parser as tixing (koa-bodyparser) and the same Redis client (node-redis), none of
 * tixing's middleware (request ids, logging, auth, validation) or its create script.
 *
 * Env: REDIS_URL, PORT (0 = any). Prints "bare koa listening on http://127.0.0.1:<port>".
 */
import Router from '@koa/router';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { createClient } from 'redis';

export async function main(): Promise<void> {
  const redis = createClient({ url: process.env.REDIS_URL });
  await redis.connect();
  let seq = 0;
  const router = new Router();
  router.post('/api/reminders', async (ctx) => {
    const id = String(++seq);
    const body = ctx.request.body as Record<string, unknown>;
    await redis.hSet(`bare:reminder:${id}`, { id, title: String(body.title), at: String(body.at) });
    ctx.status = 201;
    ctx.body = { errcode: 0, errmsg: 'ok', data: { id } };
  });
  const app = new Koa();
  app.use(bodyParser({ enableTypes: ['json'] })).use(router.routes());
  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`bare koa listening on http://127.0.0.1:${port}\n`);
  });
  process.once('SIGTERM', () => server.close(() => void redis.close().then(() => process.exit(0))));
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`bare koa failed: ${err.message}\n`);
    process.exit(1);
  });
}
