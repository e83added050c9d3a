-- Writes a new group with its owner as first member, unless a group with that id exists.
-- Guarantees: the record, the owner's membership and the roster appear together or not at all;
-- the owner is member 1 and the group's member counter starts after it.
-- KEYS: 1 group hash `group:{g<id>}`, 2 members hash `group:{g<id>}:members`,
--       3 roster zset `group:{g<id>}:roster` (one hash tag: one cluster slot)
-- ARGV: 1 owner's openid, 2 owner's member JSON (memberId 1), 3.. field/value pairs of the record
-- Returns: 1 written, 0 existed
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'memberSeq', 1, unpack(ARGV, 3))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], 1, ARGV[1])
return 1
