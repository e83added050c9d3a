-- Erases one person's sign-in and wrong codes from a check-in (DELETE /api/me), keeping the
-- check-in's counts equal to the sign-ins stored.
-- KEYS: 1 check-in hash, 2 signs hash, 3 the person's wrong-codes zset (one hash tag `{c<id>}`)
-- ARGV: 1 openid
-- Returns: 1 when a sign-in went, else 0
redis.call('DEL', KEYS[3])
local json = redis.call('HGET', KEYS[2], ARGV[1])
if not json then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
local ok, sign = pcall(cjson.decode, json)
if ok and type(sign) == 'table' and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], sign.status == 'late' and 'late' or 'onTime', -1)
end
return 1
