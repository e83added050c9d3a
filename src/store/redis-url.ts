/**
 * REDIS_URL read as one node or several: `redis://[user:pass@]host:port[/db]` for a single Redis,
 * `redis://[user:pass@]a:7000,b:7001,c:7002` for a cluster (the nodes the client discovers the
 * topology from; any live one is enough, three or more advised). Pure: config validation uses it.
 */
export interface RedisTarget {
  cluster: boolean; // several nodes listed, or REDIS_CLUSTER=1
  nodes: string[]; // one URL per node, credentials and TLS scheme kept
}

export function parseRedisUrl(url: string, forceCluster = false): RedisTarget {
  const match = /^(rediss?):\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?$/.exec(url);
  if (!match) throw new Error('must look like redis://host:port or redis://a:7000,b:7001,c:7002');
  const [, scheme, userinfo, hostList = '', pathname = ''] = match;
  const hosts = hostList.split(',');
  const cluster = forceCluster || hosts.length > 1;
  const db = pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new Error('has a database that is not a number');
  // Redis Cluster has database 0 only: a URL naming another would silently write elsewhere.
  if (cluster && db !== '' && db !== '0')
    throw new Error('names a database, which Redis Cluster does not have');
  const nodes = hosts.map((host) => {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host))
      throw new Error('lists a node that is not host or host:port');
    const port = Number(/:(\d+)$/.exec(host)?.[1] ?? 6379);
    if (port < 1 || port > 65535) throw new Error('lists a port outside 1-65535');
    const auth = userinfo === undefined ? '' : `${userinfo}@`;
    return `${scheme}://${auth}${host}${cluster || db === '' ? '' : `/${db}`}`;
  });
  return { cluster, nodes };
}
