-- Indexes (or unindexes) one notice in one group's search index: its member leaves the terms it
-- was under and joins the ones it is under now.
-- Guarantees: compare-and-set on what the caller read of the notice's doc, so two instances
-- indexing the same notice at once cannot leave it under a term it no longer holds (the loser
-- reads again and retries); a term left with no notice is deleted by Redis itself.
-- KEYS: 1 doc hash, then the old term zsets (ARGV[3] of them), then the new term zsets (one
--       group's hash tag `{g<id>}`)
-- ARGV: 1 doc member as read ('' none), 2 doc terms as read, 3 count of old term keys,
--       4 new member ('' to unindex), 5 new terms joined by newlines
-- Returns: 1 done, 0 the doc changed since it was read
local member = redis.call('HGET', KEYS[1], 'member') or ''
local terms = redis.call('HGET', KEYS[1], 'terms') or ''
if member ~= ARGV[1] or terms ~= ARGV[2] then return 0 end
local old = tonumber(ARGV[3])
if member ~= '' then
  for i = 2, old + 1 do redis.call('ZREM', KEYS[i], member) end
end
if ARGV[4] == '' then
  redis.call('DEL', KEYS[1])
  return 1
end
for i = old + 2, #KEYS do redis.call('ZADD', KEYS[i], 0, ARGV[4]) end
redis.call('HSET', KEYS[1], 'member', ARGV[4], 'terms', ARGV[5])
return 1
