import type { Next } from 'koa';
import type { Replication } from '../../store/replication';
import type { AppContext } from '../context';

/** Methods that acknowledge no write (a GET that happens to write, e.g. a session touch, waits for none). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * REDIS_WAIT_REPLICAS for the whole API in one place: a request that may write runs with its Redis
 * writes noted (which connection each went out on, cluster nodes included), and a 2xx answer
 * leaves only once WAIT on each of those connections says the replicas have them; otherwise the
 * answer becomes 503 WRITE_NOT_REPLICATED. Sits inside the error handler, which writes that 503.
 * Only installed when REDIS_WAIT_REPLICAS > 0.
 */
export function replicated(options: { replication: Replication }) {
  const { replication } = options;
  return async function replicatedMiddleware(ctx: AppContext, next: Next): Promise<void> {
    if (SAFE_METHODS.has(ctx.method)) return next();
    const { writes } = await replication.track(next);
    if (ctx.status < 200 || ctx.status >= 300) return;
    try {
      await replication.confirm(writes);
    } catch (err) {
      // What the 2xx promised must not leave with the 503: a session cookie, a new resource's URL.
      ctx.remove('Set-Cookie');
      ctx.remove('Location');
      throw err;
    }
  };
}
