-- Records the outcomes of claimed notifications of one shard, many in one call (a burst of
-- finished sends costs one round trip per shard), each with the attempt that ended it. Guarantees,
-- per notification: the attempt joins the capped delivery list whoever holds the claim (it was
-- made); only the claim's owner records an outcome (compare-and-set on the claim); the
-- notification leaves the due index, takes its final status, and it and its delivery list expire
-- after the retention period; the outcome is counted in the shard's stats hash of that day. The
-- msgid link of a send is a key of its own, outside the shard, written beside this call
-- (NotificationStore.finishMany).
-- KEYS (one shard, one hash tag {n<shard>}): 1 the shard's due zset, then per notification: its
--       hash, its claim key, its deliveries list, the shard's stats hash of the day
-- ARGV: 1 retention seconds, 2 attempts kept per list, then per notification: id, owner token,
--       outcome, lastResult JSON, updatedAt ms, attempt JSON ('' = none)
-- Returns per notification 'ok' | 'lost', in order.
local keep, kept = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 1, (#KEYS - 1) / 4 do
  local k, a = 4 * (i - 1) + 1, 6 * (i - 1) + 2
  local hash, claim, deliveries, stats = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local id, owner, outcome = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local attempt = ARGV[a + 6]
  if attempt ~= '' and redis.call('LPUSH', deliveries, attempt) > kept then
    redis.call('LTRIM', deliveries, 0, kept - 1)
  end
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
