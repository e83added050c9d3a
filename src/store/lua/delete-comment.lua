-- Deletes a comment with its replies, or one reply, and takes them out of every index of the
-- notice in the same step.
-- Guarantees: a comment goes with all of its replies — the caller read them first and names them;
-- should one have been added since, nothing is deleted and 'changed' tells the caller to read again.
-- KEYS (one hash tag, the notice's `{nt<id>}`): 1 the comment hash, 2 the list it is in (the
--   notice's comments, or its parent's replies), 3 the notice's public comments, 4 the author's
--   comments on the notice, 5 the notice's pending review, 6 the comment's replies (a reply: its
--   own, always empty), 7.. the replies' hashes
-- ARGV: 1 id, 2.. the replies' ids (in the order of KEYS 7..)
-- Returns: 'ok' | 'gone' | 'changed'
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
if redis.call('ZCARD', KEYS[6]) ~= #ARGV - 1 then return 'changed' end
local id = ARGV[1]
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[6], ARGV[i]) == false then return 'changed' end
end
for i = 2, #ARGV do
  redis.call('DEL', KEYS[5 + i])
  redis.call('ZREM', KEYS[5], ARGV[i])
end
redis.call('DEL', KEYS[1], KEYS[6])
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[5], id)
return 'ok'
