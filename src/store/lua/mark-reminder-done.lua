-- Marks a pending reminder of the caller done (POST /api/reminders/:id/done): a one-shot becomes
-- `done` and leaves the due index and the pending set, so no instance can claim it afterwards
-- (claims re-check status and due score, as after a cancel); a recurring one skips the occurrence
-- that is due next and moves to the slot after it, staying pending.
-- Guarantees: another user's reminder is never touched ('missing'); only a pending reminder
-- changes ('not_pending'); the change applies only if the due slot is still the one the caller
-- computed from ('changed': it fired or was edited meanwhile, nothing written), so an occurrence
-- that just fired is never skipped twice.
-- KEYS (one shard, one hash tag): 1 reminder hash, 2 user pending set, 3 the shard's due zset
-- ARGV: 1 openid, 2 id, 3 expected due score ms ('' = not in the due index), 4 next slot ms
--       ('' = a one-shot: mark it done), 5 updatedAt ms
-- Returns 'done' | 'skipped' | 'missing' | 'not_pending' | 'changed'.
if redis.call('HGET', KEYS[1], 'openid') ~= ARGV[1] then return 'missing' end
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 'not_pending' end
local score = redis.call('ZSCORE', KEYS[3], ARGV[2])
if (score and tonumber(score) or '') ~= (ARGV[3] ~= '' and tonumber(ARGV[3]) or '') then return 'changed' end
if ARGV[4] == '' then
  redis.call('HSET', KEYS[1], 'status', 'done', 'nextFireAt', '', 'snoozeAt', '', 'updatedAt', ARGV[5])
  redis.call('SREM', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
  return 'done'
end
redis.call('HSET', KEYS[1], 'nextFireAt', ARGV[4], 'snoozeAt', '', 'updatedAt', ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
return 'skipped'
