-- Claims one occurrence `<id>:<slot>` for one instance with a lease. Guarantees: at most one live
-- claim per occurrence; only a pending reminder still due at exactly that slot can be claimed (a
-- PATCH, DELETE or a finished send moves or removes the due entry, so stale timers lose here);
-- a claim whose instance died expires with its lease and the occurrence can be claimed again.
-- KEYS: 1 reminder hash, 2 due zset, 3 claim key
-- ARGV: 1 id, 2 slot ms, 3 owner token, 4 lease ms
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return {'stale'} end
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return {'stale'} end
if not redis.call('SET', KEYS[3], ARGV[3], 'NX', 'PX', tonumber(ARGV[4])) then return {'busy'} end
-- Keep the hash in step with the index (an operator may have moved the score by hand).
redis.call('HSET', KEYS[1], 'nextFireAt', ARGV[2])
return {'ok', redis.call('HGETALL', KEYS[1])}
