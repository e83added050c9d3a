-- Binds the caller as a promise's counterpart with its invite code: once, by one person.
-- Guarantees: of concurrent accepts one wins and the others see 'taken'; the author never binds
-- to their own promise; an ended promise or a code that is not the promise's (rotated, cleared)
-- accepts nothing; an expired code binds nobody. For an `ask`, the counterpart becomes the
-- keeper (the person reminded); their reminder is bound after it exists (bind-promise-reminder.lua).
-- KEYS: 1 promise hash (`promise:{<id>}`)
-- ARGV: 1 invite code, 2 caller's openid, 3 now ms
-- Returns: 'accepted' | 'mine' (already the caller's) | 'taken' | 'own' | 'expired' | 'unknown'
local p = redis.call('HMGET', KEYS[1], 'status', 'inviteCode', 'inviteExpiresAt', 'author', 'counterpart', 'type')
if not p[1] or p[1] ~= 'active' or p[2] ~= ARGV[1] then return 'unknown' end
if p[4] == ARGV[2] then return 'own' end
if p[5] and p[5] ~= '' then
  if p[5] == ARGV[2] then return 'mine' end
  return 'taken'
end
if tonumber(p[3]) <= tonumber(ARGV[3]) then return 'expired' end
redis.call('HSET', KEYS[1], 'counterpart', ARGV[2], 'acceptedAt', ARGV[3], 'updatedAt', ARGV[3])
if p[6] == 'ask' then redis.call('HSET', KEYS[1], 'keeper', ARGV[2]) end
return 'accepted'
