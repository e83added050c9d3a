/**
 * `npm run bench [-- spike fanout precision scale api token]`: the benchmarks of
 * docs/architecture.md#scheduling-guarantees and #one-access-token (issue 7), each against a
 * baseline in the same run. Prints a table per benchmark, writes bench/results/bench.json and the
 * generated table of docs/BENCHMARKS.md. Needs redis-server on PATH; starts its own on free ports
 * (never the operator's Redis) and cleans up after itself.
 */
import { compileForBench } from '../lab/build';
import { api } from './api';
import { checkin } from './checkin';
import { cluster } from './cluster';
import { fanout } from './fanout';
import { notice } from './notice';
import { precision } from './precision';
import { runSuite } from '../lab/report';
import { scale } from './scale';
import { search } from './search';
import { spike } from './spike';
import { token } from './token';

export async function main(argv = process.argv.slice(2)): Promise<void> {
  // tixing runs as production does, compiled by tsc (lab/build.ts).
  compileForBench();
  await runSuite(
    'bench',
    {
      spike: () => spike(),
      cluster: () => cluster(),
      fanout: () => fanout(),
      precision: () => precision(),
      scale: () => scale(),
      api: () => api(),
      token: () => token(),
      notice: () => notice(),
      checkin: () => checkin(),
      search: () => search(),
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
