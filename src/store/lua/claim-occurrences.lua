-- Claims occurrences `<id>:<slot>`, one or many in one call (a burst of due occurrences costs one
-- round-trip). Guarantees, per occurrence: at most one live claim, only for a pending reminder
-- still due at exactly that slot, with a lease that expires with its instance.
-- KEYS: 1 due zset, then per occurrence: reminder hash, claim key
-- ARGV: 1 lease ms, then per occurrence: id, slot ms, owner token
-- Returns per occurrence {'ok', HGETALL} | {'stale'} | {'busy'}, in order.
local lease = tonumber(ARGV[1])
local out = {}
for i = 1, (#KEYS - 1) / 2 do
  local hash, claim = KEYS[2 * i], KEYS[2 * i + 1]
  local id, slot, owner = ARGV[3 * i - 1], ARGV[3 * i], ARGV[3 * i + 1]
  local score = nil
  if redis.call('HGET', hash, 'status') == 'pending' then score = redis.call('ZSCORE', KEYS[1], id) end
  if not score or tonumber(score) ~= tonumber(slot) then
    out[i] = {'stale'}
  elseif not redis.call('SET', claim, owner, 'NX', 'PX', lease) then
    out[i] = {'busy'}
  else
    -- Keep the hash in step with the index (an operator may have moved the score by hand).
    redis.call('HSET', hash, 'nextFireAt', slot)
    out[i] = {'ok', redis.call('HGETALL', hash)}
  end
end
return out
