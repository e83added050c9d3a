-- Renews a claim's lease if it is still ours (between retries of a long delivery).
-- KEYS: 1 claim key; ARGV: 1 owner token, 2 lease ms
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
