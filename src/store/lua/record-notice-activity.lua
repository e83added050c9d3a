-- Counts one read, confirm or comment of a notice on its UTC day, for the "hot" ranking.
-- Guarantees: the hash never holds more than the window's days (older fields are dropped once
-- the hash outgrows them), and it expires a window after its last activity, so a notice nobody
-- touches leaves nothing behind.
-- KEYS: 1 activity hash (`notice:{nt<id>}:activity`)
-- ARGV: 1 field `<YYYY-MM-DD>:<kind>`, 2 TTL ms (until that day leaves the window), 3 oldest day kept (`YYYY-MM-DD`), 4 most fields kept
-- Returns: the field's new count
local count = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
-- Only ever lengthened: a late event of an older day must not cut a newer day's life short.
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[4]) then
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    -- ISO days compare as strings.
    if string.sub(field, 1, 10) < ARGV[3] then redis.call('HDEL', KEYS[1], field) end
  end
end
return count
