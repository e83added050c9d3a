-- Adds a group id to one of a user's group indexes (`user:<openid>:groups`, `…:owned-groups`)
-- unless the index is full: the per-user limits hold under concurrent creates and joins.
-- KEYS: 1 the user's zset
-- ARGV: 1 group id (also its score), 2 limit
-- Returns: 1 in the index (added now or before), 0 full
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
return 1
