-- Purges one finished or cancelled reminder whose last change is at or before the cutoff
-- (RETENTION_DAYS): its hash, its delivery records and its place in the user's indexes and the due
-- index, in one step. Guarantees: a reminder that is pending, was changed after the cutoff (re-armed
-- by a PATCH since it was read) or belongs to another user is never touched, so instances purging
-- at once, or a PATCH racing the purge, cannot lose a live reminder; a reminder is whole or gone.
-- KEYS (one shard, one hash tag): 1 reminder hash, 2 deliveries list, 3 user reminders zset,
--       4 user pending set, 5 the shard's due zset
-- ARGV: 1 id, 2 openid, 3 cutoff ms, 4.. the statuses that may be purged
local fields = redis.call('HMGET', KEYS[1], 'openid', 'status', 'updatedAt')
if fields[1] ~= ARGV[2] then return 0 end
local purgeable = false
for i = 4, #ARGV do
  if fields[2] == ARGV[i] then purgeable = true end
end
if not purgeable then return 0 end
if (tonumber(fields[3]) or 0) > tonumber(ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
return 1
