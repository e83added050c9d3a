import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from './redis';

/**
 * A Lua script kept as a file beside this module (src/store/lua/*.lua), run with EVALSHA and
 * loaded on NOSCRIPT (first use, or after Redis restarted and lost its script cache).
 */
export class LuaScript {
  readonly sha: string;
  private readonly source: string;

  constructor(readonly name: string) {
    this.source = readFileSync(path.join(__dirname, 'lua', `${name}.lua`), 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async run<T = unknown>(redis: Redis, keys: string[], args: (string | number)[]): Promise<T> {
    const options = { keys, arguments: args.map(String) };
    try {
      return (await redis.evalSha(this.sha, options)) as T;
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return (await redis.eval(this.source, options)) as T;
    }
  }
}

/** Every script, read once per process. */
export const scripts = {
  createReminder: new LuaScript('create-reminder'),
  updateReminder: new LuaScript('update-reminder'),
  cancelReminder: new LuaScript('cancel-reminder'),
  extendClaim: new LuaScript('extend-claim'),
  compareAndDelete: new LuaScript('compare-and-delete'),
  applySubscriptionEvent: new LuaScript('apply-subscription-event'),
  confirmDelivery: new LuaScript('confirm-delivery'),
};
