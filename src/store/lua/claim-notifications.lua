-- Claims notifications of one shard for sending, many in one call. Guarantees, per notification:
-- at most one live claim, only while it is pending and due at exactly that slot, with a lease that
-- expires with its instance; one that is no longer pending leaves the due index.
-- KEYS: 1 the shard's due zset, then per notification: its hash, its claim key
-- ARGV: 1 lease ms, then per notification: id, slot ms, owner token
-- Returns per notification {'ok', HGETALL} | {'stale'} | {'busy'}, in order.
local lease = tonumber(ARGV[1])
local out = {}
for i = 1, (#KEYS - 1) / 2 do
  local hash, claim = KEYS[2 * i], KEYS[2 * i + 1]
  local id, slot, owner = ARGV[3 * i - 1], ARGV[3 * i], ARGV[3 * i + 1]
  local state = redis.call('HMGET', hash, 'status', 'at')
  if state[1] ~= 'pending' then
    redis.call('ZREM', KEYS[1], id)
    out[i] = {'stale'}
  elseif tonumber(state[2]) ~= tonumber(slot) then
    out[i] = {'stale'}
  elseif not redis.call('SET', claim, owner, 'NX', 'PX', lease) then
    out[i] = {'busy'}
  else
    out[i] = {'ok', redis.call('HGETALL', hash)}
  end
end
return out
