-- Writes a new promise record, unless one with that id exists already.
-- Guarantees: the first writer's record (and its invite code) stands; a concurrent retry of the
-- same create, which reuses the id of its reminder, writes nothing and reads the first one.
-- KEYS: 1 promise hash (`promise:{<id>}`)
-- ARGV: field/value pairs of the record
-- Returns: 1 written, 0 existed
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
