-- Hands an approved console QR sign-in to the browser that started it, once.
-- Guarantees: only the poller whose secret digest was recorded at the start learns anything beyond
-- 'other'; an approved sign-in is taken once (the key is deleted as it is read), so two polls
-- can never make two sessions of one scan.
-- KEYS: 1 the sign-in hash (console:login:<digest>)
-- ARGV: 1 SHA-256 of the poller's secret, 2 the oldest start still valid (ms, the service's clock)
-- Returns: {'missing'} (also when expired by the clock: deleted), {'other'}, {'pending'} or
-- {'approved', openid}
local fields = redis.call('HMGET', KEYS[1], 'status', 'poller', 'openid', 'createdAt')
if not fields[1] then return {'missing'} end
if tonumber(fields[4]) < tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return {'missing'}
end
if fields[2] ~= ARGV[1] then return {'other'} end
if fields[1] ~= 'approved' then return {'pending'} end
redis.call('DEL', KEYS[1])
return {'approved', fields[3]}
