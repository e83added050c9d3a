-- Gives a group a new invite code: from this call on, join-group.lua admits only the new one.
-- The caller has already pointed `groups:invite:<new>` at the group, and deletes the old lookup
-- key after (it is in another slot); the old code is refused here even while that key lingers.
-- KEYS: 1 group hash `group:{g<id>}`
-- ARGV: 1 new code, 2 now ms
-- Returns: the old code, or false when the group does not exist
local old = redis.call('HGET', KEYS[1], 'inviteCode')
if not old then return false end
redis.call('HSET', KEYS[1], 'inviteCode', ARGV[1], 'updatedAt', ARGV[2])
return old
