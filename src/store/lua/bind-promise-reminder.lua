-- Links a promise to its keeper's daily reminder and opens its first day, once the reminder
-- exists (an `ask`, after its accept). Guarantees: idempotent for the same reminder; nothing is
-- bound to an ended promise or for someone who is no longer its keeper (the caller then cancels
-- the reminder it made).
-- KEYS: 1 promise hash (`promise:{<id>}`)
-- ARGV: 1 keeper's openid, 2 reminder id, 3 first day owed (YYYY-MM-DD), 4 when that day ends
--       (ms), 5 now ms
-- Returns: 'ok' | 'bound' (already, to this reminder) | 'ended' | 'changed'
local p = redis.call('HMGET', KEYS[1], 'status', 'keeper', 'reminderId')
if not p[1] then return 'ended' end
if p[1] ~= 'active' then return 'ended' end
if p[2] ~= ARGV[1] then return 'changed' end
if p[3] and p[3] ~= '' then
  if p[3] == ARGV[2] then return 'bound' end
  return 'changed'
end
redis.call('HSET', KEYS[1], 'reminderId', ARGV[2], 'startDay', ARGV[3], 'nextEvalDay', ARGV[3],
  'nextEvalEnd', ARGV[4], 'updatedAt', ARGV[5])
return 'ok'
