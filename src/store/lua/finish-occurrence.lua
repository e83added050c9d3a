-- Records the outcome of a claimed occurrence (compare-and-set on the claim). Guarantees: only the
-- claim's owner records an outcome; the schedule moves on only if nobody re-timed the reminder
-- meanwhile (its due score is still the claimed slot); a one-shot leaves the due index and the
-- pending set, a recurring one moves to its next slot and stays pending.
-- The outcome is counted in the day's stats hash under its own name, read back as it is by
-- StatsStore.sendCounters.
-- KEYS: 1 reminder hash, 2 due zset, 3 claim key, 4 user pending set, 5 the day's stats hash,
--       6 msgid key (or '')
-- ARGV: 1 id, 2 slot ms, 3 owner token, 4 outcome (also a one-shot's final status), 5 lastResult
--       JSON, 6 next slot ms ('' = none), 7 updatedAt ms, 8 msgid TTL seconds, 9 occurrence id
if redis.call('GET', KEYS[3]) ~= ARGV[3] then return 'lost' end
redis.call('DEL', KEYS[3])
redis.call('HINCRBY', KEYS[1], 'fireCount', 1)
redis.call('HSET', KEYS[1], 'lastResult', ARGV[5], 'updatedAt', ARGV[7])
redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
if KEYS[6] ~= '' then redis.call('SET', KEYS[6], ARGV[9], 'EX', tonumber(ARGV[8])) end
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 'retimed' end
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
  redis.call('HSET', KEYS[1], 'nextFireAt', ARGV[6])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('SREM', KEYS[4], ARGV[1])
  redis.call('HSET', KEYS[1], 'status', ARGV[4], 'nextFireAt', '')
end
return 'ok'
