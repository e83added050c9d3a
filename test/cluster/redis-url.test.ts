import { ConfigError, loadConfig } from '../../src/config';
import { parseRedisUrl } from '../../src/store/redis-url';
import { keySlot } from '../../src/store/slot-audit';

describe('REDIS_URL and REDIS_CLUSTER', () => {
  it('reads one node as a single Redis and several as a cluster', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({
      cluster: false,
      nodes: ['redis://127.0.0.1:6379/2'],
    });
    expect(parseRedisUrl('rediss://u:p@a:7000,b:7001,c')).toEqual({
      cluster: true,
      nodes: ['rediss://u:p@a:7000', 'rediss://u:p@b:7001', 'rediss://u:p@c'],
    });
    expect(parseRedisUrl('redis://a:7000', true)).toEqual({ cluster: true, nodes: ['redis://a:7000'] });
  });

  it('refuses a cluster URL naming a database, a bad node or port, another scheme', () => {
    expect(() => parseRedisUrl('redis://a:7000,b:7001/3')).toThrow(/database/);
    expect(() => parseRedisUrl('redis://a:7000/3', true)).toThrow(/database/);
    expect(() => parseRedisUrl('redis://a:7000,b c:1')).toThrow(/node/);
    expect(() => parseRedisUrl('redis://a:70000')).toThrow(/port/);
    expect(() => parseRedisUrl('http://a:7000')).toThrow(/redis:\/\//);
  });

  it('takes both from the environment, and names the variable (never the value) when bad', () => {
    expect(loadConfig({ REDIS_URL: 'redis://a:7000,b:7001' })).toMatchObject({
      redisUrl: 'redis://a:7000,b:7001',
      redisCluster: false,
    });
    expect(loadConfig({ REDIS_URL: 'redis://a:7000', REDIS_CLUSTER: '1' }).redisCluster).toBe(true);
    expect(loadConfig({}).redisCluster).toBe(false);
    const problems = (env: NodeJS.ProcessEnv): string[] => {
      try {
        loadConfig(env);
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    };
    expect(problems({ REDIS_URL: 'redis://secret-host:7000,b:7001/5' })).toEqual([
      'REDIS_URL: names a database, which Redis Cluster does not have',
    ]);
    expect(problems({ REDIS_URL: 'redis://a:7000/5', REDIS_CLUSTER: '1' })).toEqual([
      'REDIS_URL: names a database, which Redis Cluster does not have (REDIS_CLUSTER=1)',
    ]);
    expect(problems({ REDIS_CLUSTER: 'maybe' })).toEqual(['REDIS_CLUSTER: must be a boolean']);
  });

  it('computes the cluster slot of a key as Redis does (hash tags included)', () => {
    // Values from CLUSTER KEYSLOT of Redis 7.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{}{bar}')).toBe(8363); // an empty first tag: the whole key counts
    expect(keySlot('foo{{bar}}zap')).toBe(4015); // the tag is `{bar`
    expect(keySlot('{bar')).toBe(4015);
  });
});
