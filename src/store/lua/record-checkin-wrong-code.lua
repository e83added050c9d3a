-- Records one wrong code a member typed for a check-in, in a sliding window: the brute-force
-- brake (5 wrong codes in a minute), shared by every instance.
-- Guarantees: a member at the limit is not counted further (the window ends on its own); a
-- member who has signed in already is told so instead; nothing for a check-in that is gone.
-- KEYS: 1 check-in hash, 2 signs hash, 3 the member's wrong-codes zset (one hash tag `{c<id>}`)
-- ARGV: 1 openid, 2 now (ms), 3 window (ms), 4 limit, 5 a member unique to this attempt
-- Returns: {'counted', wrong codes in the window, retry at (ms)} | {'limited', retry at (ms)}
--        | {'twice', stored JSON} | {'gone'}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return {'twice', existing} end
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then
  return {'limited', tostring(tonumber(oldest[2]) + window)}
end
redis.call('ZADD', KEYS[3], now, ARGV[5])
redis.call('PEXPIRE', KEYS[3], window)
local first = oldest[2] and tonumber(oldest[2]) or now
return {'counted', redis.call('ZCARD', KEYS[3]), tostring(first + window)}
