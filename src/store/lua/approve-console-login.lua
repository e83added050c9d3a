-- Approves a console QR sign-in for the mini-program user who scanned it.
-- Guarantees: a sign-in is approved once, by one user: a second approval, by anyone, is refused
-- and never changes whose session the waiting page gets. An expired sign-in (its key gone) stays gone.
-- KEYS: 1 the sign-in hash (console:login:<digest>)
-- ARGV: 1 openid, 2 now ms, 3 the oldest start still valid (ms; by the service's clock, as the TTL
--       is by Redis's)
-- Returns: 'ok', 'taken' (approved already) or 'missing' (also when expired by the clock: deleted)
local fields = redis.call('HMGET', KEYS[1], 'status', 'createdAt')
if not fields[1] then return 'missing' end
if tonumber(fields[2]) < tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return 'missing'
end
if fields[1] ~= 'pending' then return 'taken' end
redis.call('HSET', KEYS[1], 'status', 'approved', 'openid', ARGV[1], 'approvedAt', ARGV[2])
return 'ok'
