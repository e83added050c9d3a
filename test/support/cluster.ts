import { RedisCluster } from '../../lab/redis-cluster';
import { useSandbox, type SandboxEnv } from './sandbox';

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

/**
 * useSandbox() for a file whose instances run on a real cluster of its own: `cluster` is started
 * before the file's tests and stopped after them.
 */
export function useSandboxOnCluster(): SandboxEnv & { readonly cluster: RedisCluster } {
  const env = useSandbox();
  let cluster: RedisCluster | undefined;
  onTestCluster((started) => (cluster = started));
  return {
    get sandbox() {
      return env.sandbox;
    },
    get url() {
      return env.url;
    },
    start: (options) => env.start(options),
    get cluster() {
      if (!cluster) throw new Error('useSandboxOnCluster(): the cluster starts in beforeAll');
      return cluster;
    },
  };
}
