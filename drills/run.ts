/**
 * `npm run drills [-- kill-restart three-instances redis-outage redis-faults wechat-faults bot]`:
 * failure drills on real processes over loopback (tixing instances as `src/main.ts` processes, a
 * private redis-server, the WeChat sandbox in this process). Each is bounded in time and kills every
 * process it started, also when it fails. Prints a table per drill, writes
 * bench/results/drills.json and the generated table of docs/BENCHMARKS.md.
 *
 * DRILL_REDIS=cluster runs kill-restart, three-instances and wechat-faults on a private Redis
 * Cluster (3 masters + 3 replicas) instead, reported as `<drill>@cluster` beside the single-Redis
 * results. redis-outage and redis-faults stop, pause or starve the one redis-server: they run on one
 * redis-server only, and so does bot (not yet tried on a cluster).
 */
import { runSuite } from '../lab/report';
import { botDrill } from './bot';
import { killRestart } from './kill-restart';
import { redisFaults } from './redis-faults';
import { redisOutage } from './redis-outage';
import { threeInstances } from './three-instances';
import { wechatFaults } from './wechat-faults';

const ON_CLUSTER = ['kill-restart', 'three-instances', 'wechat-faults'];

/** DRILL_REDIS: `single` (default) or `cluster`. */
function drillRedis(value = process.env.DRILL_REDIS): 'single' | 'cluster' {
  if (value === undefined || value === '' || value === 'single') return 'single';
  if (value === 'cluster') return 'cluster';
  throw new Error(`DRILL_REDIS must be single or cluster, not ${value}`);
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  if (drillRedis() === 'cluster') {
    const single = argv.filter((a) => !ON_CLUSTER.includes(a));
    if (single.length > 0) {
      throw new Error(
        `${single.join(', ')}: one redis-server only (DRILL_REDIS=cluster runs ${ON_CLUSTER.join(', ')})`,
      );
    }
    await runSuite(
      'drills',
      {
        'kill-restart': () => killRestart({ cluster: true }),
        'three-instances': () => threeInstances({ cluster: true }),
        'wechat-faults': () => wechatFaults({ cluster: true }),
      },
      argv,
    );
    return;
  }
  await runSuite(
    'drills',
    {
      'kill-restart': () => killRestart(),
      'three-instances': () => threeInstances(),
      'redis-outage': () => redisOutage(),
      'redis-faults': () => redisFaults(),
      'wechat-faults': () => wechatFaults(),
      bot: () => botDrill(),
    },
    argv,
  );
}

if (require.main === module) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  main().then(
    () => process.exit(),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
