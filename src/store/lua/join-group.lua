-- Adds the caller to a group as a member, with the invite code the group has now. O(1).
-- Guarantees: one membership per person (a second join answers the first one); a rotated-away
-- code or a deleted group admits nobody, even while a stale `groups:invite:` key still names it;
-- the group never grows past its member limit; member ids are never reused within a group.
-- KEYS: 1 group hash, 2 members hash, 3 roster zset (one hash tag `{g<id>}`)
-- ARGV: 1 openid, 2 invite code, 3 member JSON without memberId (an object: `{"role":…}`),
--       4 member limit
-- Returns: {'joined', json} | {'member', json} (already one) | {'full'} | {'gone'}
local code = redis.call('HGET', KEYS[1], 'inviteCode')
if not code or code ~= ARGV[2] then return {'gone'} end
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return {'member', existing} end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return {'full'} end
local id = redis.call('HINCRBY', KEYS[1], 'memberSeq', 1)
local json = '{"memberId":"' .. id .. '",' .. string.sub(ARGV[3], 2)
redis.call('HSET', KEYS[2], ARGV[1], json)
redis.call('ZADD', KEYS[3], id, ARGV[1])
return {'joined', json}
