-- Gives a claim back without an outcome (shutdown, WeChat paused) so another instance, or this
-- one later, takes the occurrence at once. Only the owner can release.
-- KEYS: 1 claim key; ARGV: 1 owner token
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
