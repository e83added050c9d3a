-- Changes fields of an existing group; a deleted group is not brought back.
-- KEYS: 1 group hash `group:{g<id>}`
-- ARGV: field/value pairs (updatedAt among them)
-- Returns: 1 changed, 0 no such group
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
