-- Ends a promise, by either party. Guarantees: one end (the first caller's); afterwards no day is
-- kept or evaluated (keep-promise-day.lua, evaluate-promise-day.lua check the status) and its
-- invite accepts nobody (accept-promise.lua). The caller then cancels the keeper's reminder and
-- drops the invite and due entries, also on 'already' (a retried end finishes a crashed one).
-- KEYS: 1 promise hash (`promise:{<id>}`)
-- ARGV: 1 caller's openid, 2 now ms
-- Returns: 'ended' | 'already' | 'forbidden' | 'gone'
local p = redis.call('HMGET', KEYS[1], 'status', 'author', 'counterpart')
if not p[1] then return 'gone' end
if p[2] ~= ARGV[1] and p[3] ~= ARGV[1] then return 'forbidden' end
if p[1] ~= 'active' then return 'already' end
redis.call('HSET', KEYS[1], 'status', 'ended', 'endedAt', ARGV[2], 'endedBy', ARGV[1], 'updatedAt', ARGV[2])
return 'ended'
