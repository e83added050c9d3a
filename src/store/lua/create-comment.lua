-- Stores a comment or a reply and indexes it in the same step, so that a notice's listings, its
-- public count and its review queue always hold exactly the comments stored.
-- Guarantees: nothing is written unless the notice is published (or publishing) and, for a reply,
-- its comment still exists; a public comment counts (public set) only once visible.
-- KEYS (one hash tag, the notice's `{nt<id>}`): 1 notice hash, 2 the comment hash, 3 the list it
--   joins (the notice's comments, or the parent's replies), 4 the notice's public comments,
--   5 the author's comments on the notice, 6 the notice's pending review, 7 the parent comment
--   hash (a comment: the notice hash again)
-- ARGV: 1 id, 2 'comment' | 'reply', 3 hidden ('true' | 'false'), 4 private ('true' | 'false'),
--   5.. the hash's field/value pairs
-- Returns: 'ok' | 'gone' (no notice) | 'closed' (not published) | 'parent_gone'
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'gone' end
if status ~= 'published' and status ~= 'publishing' then return 'closed' end
local reply = ARGV[2] == 'reply'
if reply and redis.call('EXISTS', KEYS[7]) == 0 then return 'parent_gone' end
local id = ARGV[1]
redis.call('HSET', KEYS[2], unpack(ARGV, 5))
redis.call('ZADD', KEYS[3], tonumber(id), id)
if not reply then
  redis.call('ZADD', KEYS[5], tonumber(id), id)
  if ARGV[3] == 'false' and ARGV[4] == 'false' then redis.call('ZADD', KEYS[4], tonumber(id), id) end
end
if ARGV[3] == 'true' then redis.call('ZADD', KEYS[6], tonumber(id), id) end
return 'ok'
