-- Takes a notice's remind slot: at most one remind per window, whatever the instances.
-- Guarantees: two reminds within the window (by the callers' clock) never both go; the second
-- learns how long until the next may.
-- KEYS: 1 notice hash
-- ARGV: 1 now ms, 2 window ms
-- Returns: {0, this remind's number (1, 2…)} when taken, else {ms until the window ends, 0}
local last = tonumber(redis.call('HGET', KEYS[1], 'remindedAt') or '')
local now = tonumber(ARGV[1])
if last and now - last < tonumber(ARGV[2]) then return {tonumber(ARGV[2]) - (now - last), 0} end
redis.call('HSET', KEYS[1], 'remindedAt', ARGV[1])
return {0, redis.call('HINCRBY', KEYS[1], 'reminds', 1)}
