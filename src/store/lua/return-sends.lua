-- Gives back what admit-sends.lua took for messages that did not reach their user, one or many in
-- one call. Guarantees, per send: the day's count never goes below zero (the counter may have
-- expired meanwhile); the grant is returned (+1), zeroed (WeChat's 43101: the user has none left,
-- whatever the ledger thought) or left as it is (none was taken).
-- Called once per shard with that shard's users' sends.
-- KEYS (one shard, one hash tag): per send: the user's quota hash, the user's counter of the day it was admitted
-- ARGV: per send: template id, then 'return' | 'zero' | 'keep'
for i = 1, #KEYS / 2 do
  local quota, counter = KEYS[2 * i - 1], KEYS[2 * i]
  local template, grant = ARGV[2 * i - 1], ARGV[2 * i]
  if tonumber(redis.call('GET', counter) or '0') > 0 then redis.call('DECR', counter) end
  if grant == 'return' then
    redis.call('HINCRBY', quota, template, 1)
  elseif grant == 'zero' then
    redis.call('HSET', quota, template, '0')
  end
end
return #KEYS / 2
