// The cluster starter lives in lab/ so the drills and benchmarks start the same one; the tests keep
// their names for it.
export {
  RedisCluster as TestCluster,
  nodeCommand,
  parseClusterNodes,
  type ClusterNodeInfo,
  type ClusterOptions,
} from '../../lab/redis-cluster';
