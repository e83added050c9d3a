-- Signs one member in to a check-in, once, and counts it in the same step: the check-in's counts
-- always equal the sign-ins stored, however many instances sign at once.
-- Guarantees: at most one sign-in per openid and check-in (the first one stays); none while the
-- member has `limit` wrong codes within the window; none for a check-in that is gone (expired).
-- KEYS: 1 check-in hash, 2 signs hash, 3 the member's wrong-codes zset (one hash tag `{c<id>}`)
-- ARGV: 1 openid, 2 sign JSON, 3 count field (`onTime` | `late`), 4 now (ms), 5 window (ms),
--       6 wrong-code limit, 7 when the signs expire (ms, PEXPIREAT)
-- Returns: {'signed', onTime, late} | {'twice', stored JSON} | {'limited', retry at (ms)} | {'gone'}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return {'twice', existing} end
local now = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[6]) then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  return {'limited', tostring(tonumber(oldest[2]) + window)}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[7])
redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
local counts = redis.call('HMGET', KEYS[1], 'onTime', 'late')
return {'signed', counts[1] or '0', counts[2] or '0'}
