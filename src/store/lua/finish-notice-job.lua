-- Ends a notice's job if it is still the caller's: a publication becomes `published`; a
-- retraction leaves the notice `retracted` with no inbox entry left.
-- Guarantees: a compare-and-set on the owner and the job, as advance-notice-job.lua.
-- KEYS: 1 notice hash
-- ARGV: 1 owner token, 2 job, 3 now ms
-- Returns: 'ok', 'lost' or 'changed'
local n = redis.call('HMGET', KEYS[1], 'jobOwner', 'job')
if n[1] ~= ARGV[1] then return 'lost' end
if n[2] ~= ARGV[2] then return 'changed' end
redis.call('HSET', KEYS[1], 'job', '', 'jobOwner', '', 'jobUntil', '', 'cursor', '0', 'updatedAt', ARGV[3])
if ARGV[2] == 'publish' then
  redis.call('HSET', KEYS[1], 'status', 'published')
else
  redis.call('HSET', KEYS[1], 'inboxed', '0')
end
return 'ok'
