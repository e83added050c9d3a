-- Gives back a daily send taken for a message that did not reach the user. Guarantees: the count
-- never goes below zero (the counter may have expired meanwhile).
-- KEYS: 1 the user's counter of that day
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used < 1 then return 0 end
return redis.call('DECR', KEYS[1])
