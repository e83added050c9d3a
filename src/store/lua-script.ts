import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isCluster, type Redis } from './redis';
import { callSite, recordSlotAudit, slotAuditFile, slotsOf, undeclaredKeyPrelude } from './slot-audit';

/**
 * A Lua script kept as a file beside this module (src/store/lua/*.lua), run with EVALSHA and
 * loaded on NOSCRIPT (first use, or after Redis restarted and lost its script cache). On a
 * cluster the client sends both to the node of the first key, so each node loads it on its own
 * NOSCRIPT: the same path works there. Under the slot audit (src/store/slot-audit.ts) a script
 * whose keys span slots, or that touches a key it did not declare, is recorded by name.
 */
export class LuaScript {
  private readonly plain: Source;
  private auditedSource: Source | undefined; // the body behind the undeclared-key prelude, made on first audited run

  constructor(readonly name: string) {
    this.plain = source(readFileSync(path.join(__dirname, 'lua', `${name}.lua`), 'utf8'));
  }

  /** The SHA1 Redis knows the script by (the audited variant has its own). */
  get sha(): string {
    return this.plain.sha;
  }

  async run<T = unknown>(redis: Redis, keys: string[], args: (string | number)[]): Promise<T> {
    if (slotAuditFile()) return this.audited(redis, keys, args);
    return exec<T>(this.plain, redis, keys, args);
  }

  private async audited<T>(redis: Redis, keys: string[], args: (string | number)[]): Promise<T> {
    const at = callSite(new Error().stack);
    recordSlotAudit({ kind: 'ran', script: this.name });
    const slots = slotsOf(keys);
    if (slots.length > 1) {
      // Recorded, not thrown: a single Redis runs it, and the next offender on the path shows too.
      recordSlotAudit({ kind: 'script', script: this.name, keys, slots, reason: 'KEYS span slots', at });
    }
    try {
      // On a cluster Redis itself refuses a key of another slot (and the prelude's own count
      // would be one): the plain script runs there.
      if (isCluster(redis)) return await exec<T>(this.plain, redis, keys, args);
      this.auditedSource ??= source(withPrelude(this.name, this.plain.text));
      return await exec<T>(this.auditedSource, redis, keys, args);
    } catch (err) {
      const message = String((err as Error).message);
      // On a cluster: Redis itself refused it.
      if (/CROSSSLOT|same slot|non local key/.test(message)) {
        recordSlotAudit({
          kind: 'script',
          script: this.name,
          keys,
          slots,
          reason: message.split('\n', 1)[0] ?? message,
          at,
        });
      }
      throw err;
    }
  }
}

interface Source {
  text: string;
  sha: string;
}

function source(text: string): Source {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

async function exec<T>(script: Source, redis: Redis, keys: string[], args: (string | number)[]): Promise<T> {
  const options = { keys, arguments: args.map(String) };
  try {
    return (await redis.evalSha(script.sha, options)) as T;
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
    return (await redis.eval(script.text, options)) as T;
  }
}

function withPrelude(name: string, body: string): string {
  // A shebang must stay the first line.
  const end = body.startsWith('#!') ? body.indexOf('\n') + 1 : 0;
  return body.slice(0, end) + undeclaredKeyPrelude(name) + body.slice(end);
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
