-- Records that a recipient read (and, with ARGV[3] = '1', confirmed) a notice.
-- Guarantees: only a recipient of the notice is recorded; the first read and the first confirm
-- keep their time (idempotent); a confirm is a read too.
-- KEYS: 1 recipients hash, 2 reads zset, 3 confirms zset (`notice:{nt<id>}:…`)
-- ARGV: 1 openid, 2 now ms, 3 '1' to confirm
-- Returns: {read now (1/0), confirmed now (1/0)}, or {-1, 0} for someone who is no recipient
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {-1, 0} end
local read = redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
local confirmed = 0
if ARGV[3] == '1' then confirmed = redis.call('ZADD', KEYS[3], 'NX', ARGV[2], ARGV[1]) end
return {read, confirmed}
