-- Creates a reminder atomically: its id from its shard's counter, the hash, user index, pending set,
-- the shard's due index, and the Idempotency-Key answer. Every key is passed in KEYS (one shard,
-- one hash tag), so the hash's key — which names the id — is built by the caller for the id it
-- expects the counter to give (ARGV[1]); when another create took that one meanwhile, nothing is
-- written (the counter neither) and the counter's value is answered, for the caller to try again
-- with the one after it. Guarantees: a retried create with the same key returns the first id and
-- stores nothing new; a user never has more than ARGV[2] pending reminders; an id is handed out
-- once, and only to the create that stores it. With ARGV[5] the schedule change is published here, in
-- the same round trip as the write and only if it happened (the scheduler's upsert event,
-- src/scheduler/scheduler.ts; a channel is not a key). A create answers the grants the user has
-- left for its template too (the create's `quota` hint), read beside the write.
-- KEYS: 1 the shard's id counter, 2 reminder hash (for the expected id), 3 user reminders zset,
--       4 user pending set, 5 the shard's due zset, 6 the user's grant ledger, 7 idempotency key
--       (only with an Idempotency-Key)
-- ARGV: 1 the expected seq, 2 pending limit, 3 idempotency TTL seconds, 4 nextFireAt ms,
--       5 schedule events channel (or ''), 6 id of the expected seq, 7 template id, 8.. field/value
--       pairs of the hash ('id' and ARGV[6] first; empty fields left out: a missing field reads as '')
-- Returns {'ok', id, grants left} | {'duplicate', first id} | {'limit', ''} | {'retry', the counter's seq}.
local idem = KEYS[7]
if idem then
  local first = redis.call('GET', idem)
  if first then return {'duplicate', first} end
end
if redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[2]) then return {'limit', ''} end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current + 1 ~= tonumber(ARGV[1]) then return {'retry', tostring(current)} end
redis.call('INCR', KEYS[1])
local id = ARGV[6]
redis.call('HSET', KEYS[2], unpack(ARGV, 8, #ARGV))
redis.call('ZADD', KEYS[3], id, id) -- score = id: ids grow with creation, and page cursors need unique scores
redis.call('SADD', KEYS[4], id)
redis.call('ZADD', KEYS[5], ARGV[4], id)
if idem then redis.call('SET', idem, id, 'EX', tonumber(ARGV[3])) end
if ARGV[5] ~= '' then
  redis.call('PUBLISH', ARGV[5], '{"op":"upsert","id":"' .. id .. '","fireAt":' .. ARGV[4] .. '}')
end
return {'ok', id, redis.call('HGET', KEYS[6], ARGV[7]) or '0'}
