-- Writes one notice into the inboxes of many recipients of one inbox shard, and says who muted
-- its category. A notice's fan-out calls it once per shard per chunk of recipients.
-- Guarantees: idempotent — an entry already there (a fan-out resumed by another instance) is
-- left as it is, so a notice read meanwhile does not turn unread again.
-- KEYS: per recipient, 5 keys: inbox, unread, category inbox, category unread, muted set (one
--       shard's hash tag `{u<shard>}`)
-- ARGV: 1 inbox member (`<publishedAt>:<id>`), 2 category
-- Returns: per recipient {written (1/0), muted (1/0)}, flattened
local out = {}
for i = 1, #KEYS, 5 do
  local written = redis.call('ZADD', KEYS[i], 'NX', 0, ARGV[1])
  if written == 1 then
    redis.call('ZADD', KEYS[i + 1], 0, ARGV[1])
    redis.call('ZADD', KEYS[i + 2], 0, ARGV[1])
    redis.call('ZADD', KEYS[i + 3], 0, ARGV[1])
  end
  out[#out + 1] = written
  out[#out + 1] = redis.call('SISMEMBER', KEYS[i + 4], ARGV[2])
end
return out
