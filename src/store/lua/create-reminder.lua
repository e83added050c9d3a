-- Creates a reminder atomically: id from INCR, hash, user index, pending set, due index, and the
-- Idempotency-Key answer. Guarantees: a retried create with the same key returns the first id and
-- stores nothing new; a user never has more than ARGV[2] pending reminders. With ARGV[5] the
-- schedule change is published here, in the same round trip as the write and only if it happened
-- (the scheduler's upsert event, src/scheduler/scheduler.ts; a channel is not a key).
-- KEYS: 1 seq, 2 user reminders zset, 3 user pending set, 4 due zset, 5 idempotency key (or '')
-- ARGV: 1 reminder key prefix (`<prefix>reminder:`), 2 pending limit, 3 idempotency TTL seconds,
--       4 nextFireAt ms, 5 schedule events channel (or ''), 6.. field/value pairs of the hash
--       (without id)
if KEYS[5] ~= '' then
  local first = redis.call('GET', KEYS[5])
  if first then return {'duplicate', first} end
end
if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[2]) then return {'limit', ''} end
local id = tostring(redis.call('INCR', KEYS[1]))
local key = ARGV[1] .. id
local fields = {'id', id}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', key, unpack(fields))
redis.call('ZADD', KEYS[2], id, id) -- score = id: ids grow with creation, and page cursors need unique scores
redis.call('SADD', KEYS[3], id)
redis.call('ZADD', KEYS[4], ARGV[4], id)
if KEYS[5] ~= '' then redis.call('SET', KEYS[5], id, 'EX', tonumber(ARGV[3])) end
if ARGV[5] ~= '' then
  redis.call('PUBLISH', ARGV[5], '{"op":"upsert","id":"' .. id .. '","fireAt":' .. ARGV[4] .. '}')
end
return {'ok', id}
