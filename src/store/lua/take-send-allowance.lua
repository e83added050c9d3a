-- Takes one of a user's subscribe-message sends of one day if the daily limit leaves any
-- (USER_DAILY_SEND_LIMIT, every feature together). Guarantees: the count never passes the limit, so
-- sends racing for the last one on several instances cannot both take it; the counter expires on
-- its own once its day is over.
-- KEYS: 1 the user's counter of that day
-- ARGV: 1 limit, 2 TTL seconds
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return -1 end
used = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return used
