-- Takes one subscription grant of a template if any is left. Guarantees: the remaining count
-- never goes below zero, so two sends racing for the last grant cannot both take it.
-- KEYS: 1 quota hash; ARGV: 1 templateId
local left = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if left < 1 then return -1 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
