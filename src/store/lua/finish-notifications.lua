-- Records the outcomes of claimed notifications of one shard, many in one call. Guarantees, per
-- notification: only the claim's owner records (compare-and-set on the claim); the notification
-- leaves the due index, takes its final status, and it and its delivery list expire after the
-- retention period; the outcome is counted in the shard's stats hash of that day.
-- KEYS: 1 the shard's due zset, then per notification: its hash, its claim key, its deliveries
--       list, the shard's stats hash of the day
-- ARGV: 1 retention seconds, then per notification: id, owner token, outcome, lastResult JSON,
--       updatedAt ms
-- Returns per notification 'ok' | 'lost', in order.
local keep = tonumber(ARGV[1])
local out = {}
for i = 1, (#KEYS - 1) / 4 do
  local k, a = 4 * (i - 1) + 1, 5 * (i - 1) + 1
  local hash, claim, deliveries, stats = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local id, owner, outcome = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  if redis.call('GET', claim) ~= owner then
    out[i] = 'lost'
  else
    redis.call('DEL', claim)
    redis.call('HSET', hash, 'status', outcome, 'lastResult', ARGV[a + 4], 'updatedAt', ARGV[a + 5])
    redis.call('ZREM', KEYS[1], id)
    redis.call('HINCRBY', stats, outcome, 1)
    redis.call('EXPIRE', hash, keep)
    redis.call('EXPIRE', deliveries, keep)
    out[i] = 'ok'
  end
end
return out
