-- Records the outcomes of claimed occurrences, one or many in one call (a burst of finished sends
-- costs one round-trip per shard), each with the attempt that ended it. Guarantees, per occurrence:
-- the attempt joins the capped delivery list whoever holds the claim (it was made); only the claim's
-- owner records an outcome (compare-and-set on the claim); the schedule moves on only if nobody
-- re-timed the reminder meanwhile (its due score is still the claimed slot); a one-shot leaves the
-- due index and the pending set, a recurring one moves to its next slot and stays pending; the
-- outcome is counted in the shard's stats hash of the day under its own name (summed over the
-- shards by StatsStore.sendCounters). A send's msgid link (found by WeChat's push report, which
-- names the user) is written whoever holds the claim, like the attempt: the link is right whatever
-- this call answers.
-- Called once per shard with that shard's occurrences.
-- KEYS (one shard, one hash tag): 1 the shard's due zset, then per occurrence: reminder hash,
--       claim key, user pending set, the shard's stats hash of the day, deliveries list, msgid link
-- ARGV: 1 attempts kept per list, 2 msgid link TTL seconds, then per occurrence: id, slot ms, owner
--       token, outcome, lastResult JSON, next slot ms ('' = none), updatedAt ms, attempt JSON,
--       msgid ('' = none: the link key is not touched)
-- Returns per occurrence 'ok' | 'lost' | 'retimed', in order.
local kept = tonumber(ARGV[1])
local linkTtl = ARGV[2]
local out = {}
local tallies = {} -- stats hash → outcome → count: one HINCRBY per outcome and day for the batch
for i = 1, (#KEYS - 1) / 6 do
  local k, a = 6 * (i - 1) + 1, 9 * (i - 1) + 2
  local hash, claim, pending, stats = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local id, slot, owner, outcome = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local nextSlot = ARGV[a + 6]
  if redis.call('LPUSH', KEYS[k + 5], ARGV[a + 8]) > kept then redis.call('LTRIM', KEYS[k + 5], 0, kept - 1) end
  if ARGV[a + 9] ~= '' then redis.call('SET', KEYS[k + 6], id .. ':' .. slot, 'EX', linkTtl) end
  if redis.call('GET', claim) ~= owner then
    out[i] = 'lost'
  else
    redis.call('DEL', claim)
    redis.call('HINCRBY', hash, 'fireCount', 1)
    local counts = tallies[stats]
    if not counts then counts = {}; tallies[stats] = counts end
    counts[outcome] = (counts[outcome] or 0) + 1
    local score = redis.call('ZSCORE', KEYS[1], id)
    if not score or tonumber(score) ~= tonumber(slot) then
      redis.call('HSET', hash, 'lastResult', ARGV[a + 5], 'updatedAt', ARGV[a + 7])
      out[i] = 'retimed'
    elseif nextSlot ~= '' then
      redis.call('ZADD', KEYS[1], nextSlot, id)
      redis.call('HSET', hash, 'lastResult', ARGV[a + 5], 'updatedAt', ARGV[a + 7], 'nextFireAt', nextSlot)
      out[i] = 'ok'
    else
      redis.call('ZREM', KEYS[1], id)
      redis.call('SREM', pending, id)
      redis.call('HSET', hash, 'lastResult', ARGV[a + 5], 'updatedAt', ARGV[a + 7], 'status', outcome, 'nextFireAt', '')
      out[i] = 'ok'
    end
  end
end
for stats, counts in pairs(tallies) do
  for outcome, count in pairs(counts) do redis.call('HINCRBY', stats, outcome, count) end
end
return out
