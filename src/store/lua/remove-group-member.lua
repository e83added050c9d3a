-- Removes one member from a group (leave, or removed by a manager), if they are still exactly as
-- the caller read them; the owner is never removed (ownership is transferred first).
-- KEYS: 1 members hash, 2 roster zset (one hash tag `{g<id>}`)
-- ARGV: 1 openid, 2 member JSON as read
-- Returns: 'ok' | 'changed' (differs from what was read, or gone) | 'owner'
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current ~= ARGV[2] then return 'changed' end
if string.find(current, '"role":"owner"', 1, true) then return 'owner' end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 'ok'
