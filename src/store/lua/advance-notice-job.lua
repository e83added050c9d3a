-- Records a job's progress (and renews its lease) if the job is still the caller's.
-- Guarantees: only the owner of the claim moves the cursor; an owner whose claim was taken over
-- ('lost') or whose notice was retracted meanwhile ('changed') stops without writing anything.
-- KEYS: 1 notice hash
-- ARGV: 1 owner token, 2 job, 3 cursor (next recipient index), 4 inbox entries written,
--       5 now ms, 6 lease ms, 7 recipients resolved ('' = unchanged)
-- Returns: 'ok', 'lost' or 'changed'
local n = redis.call('HMGET', KEYS[1], 'jobOwner', 'job')
if n[1] ~= ARGV[1] then return 'lost' end
if n[2] ~= ARGV[2] then return 'changed' end
redis.call('HSET', KEYS[1], 'cursor', ARGV[3], 'inboxed', ARGV[4],
  'jobUntil', tostring(tonumber(ARGV[5]) + tonumber(ARGV[6])))
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'recipients', ARGV[7]) end
return 'ok'
