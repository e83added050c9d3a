-- Deletes a key only if it still holds the given value. Guarantees: only the holder of a claim or a
-- lock gives it back (a claim released at a graceful stop or a 45009 pause, the token refresh lock);
-- a bad access_token is dropped only if it is still the current one (another instance may already
-- have replaced it).
-- KEYS: 1 key; ARGV: 1 expected value
-- Returns 1 when the key was deleted, 0 when it held something else or nothing.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
