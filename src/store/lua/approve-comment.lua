-- Approves a comment or reply held for review: visible from now on, out of the review queue, and
-- (a public comment) counted, in one step.
-- KEYS (one hash tag, the notice's `{nt<id>}`): 1 the comment hash, 2 the notice's pending review,
--   3 the notice's public comments
-- ARGV: 1 id, 2 now (ms)
-- Returns: 'ok' | 'gone' | 'already' (not hidden)
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
if redis.call('HGET', KEYS[1], 'hidden') ~= 'true' then return 'already' end
redis.call('HSET', KEYS[1], 'hidden', 'false', 'approvedAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
local fields = redis.call('HMGET', KEYS[1], 'parentId', 'private')
if (fields[1] == false or fields[1] == '') and fields[2] ~= 'true' then
  redis.call('ZADD', KEYS[3], tonumber(ARGV[1]), ARGV[1])
end
return 'ok'
