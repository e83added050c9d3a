-- Gives a reminder of the caller one extra occurrence at ARGV[4] (POST /api/reminders/:id/snooze):
-- its due score becomes that slot, so the occurrence is claimed, sent and recorded like any other
-- (claim-occurrences.lua, finish-occurrences.lua: once across instances, with its own grant). A
-- one-shot that was already handled (sent, failed, missed, no_quota, rate_limited) is pending
-- again; a recurring one moves on from the extra slot to its regular next one when it is handled
-- (the service only snoozes it to before that one). `snoozeAt` marks the slot as the extra one.
-- Guarantees: another user's reminder is never touched ('missing'); a cancelled or done reminder
-- stays so (its status is answered); the change applies only if the due slot is still the one
-- the caller computed from ('changed', nothing written); re-arming a finished one-shot respects
-- the pending limit ('limit').
-- KEYS (one shard, one hash tag): 1 reminder hash, 2 user pending set, 3 the shard's due zset
-- ARGV: 1 openid, 2 id, 3 expected due score ms ('' = not in the due index), 4 snooze slot ms,
--       5 updatedAt ms, 6 pending limit
-- Returns 'ok' | 'missing' | 'cancelled' | 'done' | 'changed' | 'limit'.
if redis.call('HGET', KEYS[1], 'openid') ~= ARGV[1] then return 'missing' end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'cancelled' or status == 'done' then return status end
local score = redis.call('ZSCORE', KEYS[3], ARGV[2])
if (score and tonumber(score) or '') ~= (ARGV[3] ~= '' and tonumber(ARGV[3]) or '') then return 'changed' end
if status ~= 'pending' and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[6]) then return 'limit' end
redis.call('HSET', KEYS[1], 'status', 'pending', 'nextFireAt', ARGV[4], 'snoozeAt', ARGV[4], 'updatedAt', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
return 'ok'
