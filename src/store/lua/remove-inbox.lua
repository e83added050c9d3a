-- Takes one notice out of the inboxes of many recipients of one inbox shard (a retraction).
-- KEYS: per recipient, 4 keys: inbox, unread, category inbox, category unread (one shard's tag)
-- ARGV: 1 inbox member (`<publishedAt>:<id>`)
-- Returns: how many inboxes held it
local removed = 0
for i = 1, #KEYS, 4 do
  removed = removed + redis.call('ZREM', KEYS[i], ARGV[1])
  redis.call('ZREM', KEYS[i + 1], ARGV[1])
  redis.call('ZREM', KEYS[i + 2], ARGV[1])
  redis.call('ZREM', KEYS[i + 3], ARGV[1])
end
return removed
