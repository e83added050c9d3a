-- Deletes a key only if it still holds the given value: a bad access_token is dropped only if it is
-- still the current one (another instance may already have replaced it); a lock is released only
-- by its holder.
-- KEYS: 1 key; ARGV: 1 expected value
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
