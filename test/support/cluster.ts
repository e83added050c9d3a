import { RedisCluster } from '../../lab/redis-cluster';

// The cluster starter lives in lab/ so the drills and benchmarks start the same one; the tests keep
// their names for it.
export {
  RedisCluster as TestCluster,
  nodeCommand,
  parseClusterNodes,
  type ClusterNodeInfo,
  type ClusterOptions,
} from '../../lab/redis-cluster';

/** A real cluster for the test file: started before its tests (told to `started`), stopped after them. */
export function onTestCluster(started: (cluster: RedisCluster) => void): void {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
    started(cluster);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
}
