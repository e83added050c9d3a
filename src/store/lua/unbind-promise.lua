-- Undoes an accept whose reminder could not be made (the counterpart's pending limit), so the
-- invite works again. Guarantees: only the caller's own accept, and only before a reminder is
-- bound to it.
-- KEYS: 1 promise hash (`promise:{<id>}`)
-- ARGV: 1 caller's openid, 2 now ms
-- Returns: 'ok' | 'no'
local p = redis.call('HMGET', KEYS[1], 'counterpart', 'reminderId', 'type')
if p[1] ~= ARGV[1] or (p[2] and p[2] ~= '') then return 'no' end
redis.call('HSET', KEYS[1], 'counterpart', '', 'acceptedAt', '', 'updatedAt', ARGV[2])
if p[3] == 'ask' then redis.call('HSET', KEYS[1], 'keeper', '') end
return 'ok'
