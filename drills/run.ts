/**
 * `npm run drills [-- kill-restart three-instances redis-outage redis-faults wechat-faults bot]`:
 * failure drills on real processes over loopback (tixing instances as `src/main.ts` processes, a
 * private redis-server, the WeChat sandbox in this process). Each is bounded in time and kills every
 * process it started, also when it fails. Prints a table per drill, writes
 * bench/results/drills.json and the generated table of docs/BENCHMARKS.md.
 */
import { runSuite } from '../lab/report';
import { botDrill } from './bot';
import { killRestart } from './kill-restart';
import { redisFaults } from './redis-faults';
import { redisOutage } from './redis-outage';
import { threeInstances } from './three-instances';
import { wechatFaults } from './wechat-faults';

export async function main(argv = process.argv.slice(2)): Promise<void> {
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
