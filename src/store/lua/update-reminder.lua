-- Applies an edit to a reminder that still belongs to the caller, and re-arms or keeps its place
-- in the due index. Guarantees: another user's reminder is never touched ('missing'); a cancelled
-- reminder stays cancelled; re-arming a finished reminder respects the pending limit.
-- KEYS (one shard, one hash tag): 1 reminder hash, 2 user pending set, 3 the shard's due zset
-- ARGV: 1 openid, 2 nextFireAt ms ('' = schedule unchanged), 3 pending limit, 4 id,
--       5.. field/value pairs (an empty value removes the field: as a create, which stores none)
if redis.call('HGET', KEYS[1], 'openid') ~= ARGV[1] then return 'missing' end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'cancelled' then return 'cancelled' end
if ARGV[2] ~= '' and status ~= 'pending' then
  if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 'limit' end
end
local fields, emptied = {}, {}
for i = 5, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    emptied[#emptied + 1] = ARGV[i]
  else
    fields[#fields + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
  end
end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
if #emptied > 0 then redis.call('HDEL', KEYS[1], unpack(emptied)) end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'status', 'pending', 'nextFireAt', ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[4])
end
return 'ok'
