-- Stores notifications (one-off subscribe messages) of one shard and puts them in its due index,
-- many in one call. Guarantees, per notification: a dedupe key already taken returns the
-- notification it created and stores nothing (so a sender that retries, or two instances that
-- both decide to send, send once); the record, its due entry and its recipient's index entry are
-- written together. Every key is of one shard ({n<shard>}), so the script runs on Redis Cluster.
-- KEYS: 1 the shard's due zset, then per notification: its hash, its recipient's index zset,
--       its dedupe key (or the hash again when it has none)
-- ARGV: 1 dedupe TTL seconds, 2 now ms, 3 retention ms (older index entries are dropped: their
--       records have expired), then per notification: id, send-at ms, fields JSON
--       (a flat object of strings), has-dedupe ('1' | '0')
-- Returns per notification {id, 1 created | 0 deduplicated}, in order.
local ttl, now, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 1, (#KEYS - 1) / 3 do
  local hash, index, dedupe = KEYS[3 * i - 1], KEYS[3 * i], KEYS[3 * i + 1]
  local a = 4 * (i - 1) + 3
  local id, at, fields, deduped = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4] == '1'
  local first = deduped and redis.call('GET', dedupe)
  if first then
    out[i] = {first, 0}
  else
    if deduped then redis.call('SET', dedupe, id, 'EX', ttl) end
    local flat = {}
    for k, v in pairs(cjson.decode(fields)) do
      flat[#flat + 1] = k
      flat[#flat + 1] = v
    end
    redis.call('HSET', hash, unpack(flat))
    redis.call('ZADD', KEYS[1], at, id)
    redis.call('ZADD', index, now, id)
    redis.call('ZREMRANGEBYSCORE', index, '-inf', now - keep)
    out[i] = {id, 1}
  end
end
return out
