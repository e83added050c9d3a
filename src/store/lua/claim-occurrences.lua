-- Claims occurrences `<id>:<slot>`, one or many in one call (a burst of due occurrences costs one
-- round-trip). Guarantees, per occurrence: at most one live claim, only for a pending reminder
-- still due at exactly that slot, with a lease that expires with its instance.
-- Called once per shard with that shard's occurrences (ReminderStore.claimMany).
-- KEYS (one shard, one hash tag): 1 the shard's due zset, then per occurrence: reminder hash, claim key
-- ARGV: 1 lease ms, 2 n = how many fields to read, 3..2+n the reminder's fields a send needs,
--       then per occurrence: id, slot ms, owner token
-- Returns per occurrence {'ok', HMGET of the fields} | {'stale'} | {'busy'}, in order.
local lease, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local fields = {}
for f = 1, n do fields[f] = ARGV[2 + f] end
local out = {}
for i = 1, (#KEYS - 1) / 2 do
  local hash, claim = KEYS[2 * i], KEYS[2 * i + 1]
  local a = 2 + n + 3 * (i - 1)
  local id, slot, owner = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  -- One read for the state and the fields a send needs (most claims succeed).
  local state = redis.call('HMGET', hash, 'status', 'nextFireAt', unpack(fields))
  local score = nil
  if state[1] == 'pending' then score = redis.call('ZSCORE', KEYS[1], id) end
  if not score or tonumber(score) ~= tonumber(slot) then
    out[i] = {'stale'}
  elseif not redis.call('SET', claim, owner, 'NX', 'PX', lease) then
    out[i] = {'busy'}
  else
    -- Keep the hash in step with the index (an operator may have moved the score by hand); a
    -- write only when it is not.
    if state[2] ~= slot then redis.call('HSET', hash, 'nextFireAt', slot) end
    local got = {}
    for f = 1, n do got[f] = state[2 + f] end
    out[i] = {'ok', got}
  end
end
return out
