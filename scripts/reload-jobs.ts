import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { embeddedRedisUrlFile } from '../src/infra/redis-server';
import { createLogger } from '../src/logger';
import { requestReload, type ReloadReply } from '../src/scheduler/scheduler';
import { Keys } from '../src/store/keys';
import { closeRedis, connectRedis } from '../src/store/redis';

/**
 * `npm run reload-jobs`: asks every running instance to reconcile its ScheduleRegistry with the
 * due index and prints each one's counts. Uses REDIS_URL, or the embedded Redis `npm start` runs.
 */
export async function main(
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<ReloadReply[]> {
  const config = loadConfig(env);
  const urlFile = embeddedRedisUrlFile(path.join(process.cwd(), 'var', 'redis'));
  const url = config.redisUrl ?? (existsSync(urlFile) ? readFileSync(urlFile, 'utf8').trim() : undefined);
  if (!url)
    throw new Error('REDIS_URL is unset and no embedded Redis is running (start tixing with npm start)');
  // A cluster when REDIS_URL lists several nodes or REDIS_CLUSTER=1: the reload goes over sharded pub/sub.
  const redis = await connectRedis(url, createLogger({ level: 'warn' }), 'redis', {
    cluster: config.redisCluster,
  });
  try {
    const replies = await requestReload(redis, new Keys(config.redisPrefix));
    if (replies.length === 0) {
      out('no running instance answered: nothing to reload');
      return replies;
    }
    out('instance                 added  removed  rescheduled  unchanged  held');
    for (const r of replies) {
      out(
        `${r.instance.padEnd(24)} ${pad(r.added, 5)}  ${pad(r.removed, 7)}  ${pad(r.rescheduled, 11)}  ${pad(r.unchanged, 9)}  ${pad(r.held, 4)}`,
      );
    }
    return replies;
  } finally {
    await closeRedis(redis);
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width);
}

if (require.main === module) {
  const envFile = path.join(process.cwd(), '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  main().catch((err: Error) => {
    process.stderr.write(`reload-jobs: ${err.message}\n`);
    process.exit(1);
  });
}
