-- Deletes a group: its record, members and roster, at once.
-- Guarantees: no join, profile change or role change lands after it (they all need the record or
-- the member); the members it had are answered, read in the same step, so the caller can drop the
-- group from each one's `user:<openid>:groups` index (other slots) without missing a late joiner.
-- KEYS: 1 group hash, 2 members hash, 3 roster zset (one hash tag `{g<id>}`)
-- ARGV: none
-- Returns: {inviteCode or '', openid, openid, …}; {} when there was no such group
local code = redis.call('HGET', KEYS[1], 'inviteCode')
if not code then return {} end
local openids = redis.call('ZRANGE', KEYS[3], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
table.insert(openids, 1, code)
return openids
