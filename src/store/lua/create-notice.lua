-- Writes a new notice record, unless one with that id exists already.
-- Guarantees: the first writer's record stands; a create retried with the same Idempotency-Key,
-- which reuses the id its key holds, writes nothing and answers the first notice.
-- KEYS: 1 notice hash (`notice:{nt<id>}`)
-- ARGV: field/value pairs of the record
-- Returns: 1 written, 0 existed
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
