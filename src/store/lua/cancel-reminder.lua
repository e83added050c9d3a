-- Cancels a reminder of the caller: out of the due index and the pending set at once, so no
-- instance can claim it afterwards (claims re-check the due index).
-- KEYS (one shard, one hash tag): 1 reminder hash, 2 user pending set, 3 the shard's due zset
-- ARGV: 1 openid, 2 id, 3 updatedAt ms
if redis.call('HGET', KEYS[1], 'openid') ~= ARGV[1] then return 'missing' end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'nextFireAt', '', 'updatedAt', ARGV[3])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 'ok'
