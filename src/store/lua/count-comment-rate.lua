-- Counts one comment or reply of a user in one window (a minute, by the callers' clock): the first
-- count of a window gives its key the lifetime that outlasts the window.
-- KEYS: 1 the user's counter of the window (`comments:{u<shard>}:<openid>:rate:<window>`)
-- ARGV: 1 the counter's lifetime (ms)
-- Returns: the window's count, this one included
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
