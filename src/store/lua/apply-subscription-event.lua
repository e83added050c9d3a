-- Applies one subscribe-message push event (popup or change) to a user's ledger exactly once.
-- Guarantees: the dedup mark and every ledger change land together or not at all, so a WeChat
-- retry of the same event (same dedup key) changes nothing, and a failed attempt leaves no mark
-- behind that would make the retry look like a duplicate.
-- KEYS (the user's shard, one hash tag): 1 dedup key, 2 quota hash
-- ARGV: 1 dedup TTL seconds, 2.. pairs of op ('grant' adds one, 'zero' sets 0) and templateId
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then return 0 end
for i = 2, #ARGV - 1, 2 do
  if ARGV[i] == 'grant' then
    redis.call('HINCRBY', KEYS[2], ARGV[i + 1], 1)
  elseif ARGV[i] == 'zero' then
    redis.call('HSET', KEYS[2], ARGV[i + 1], '0')
  end
end
return 1
