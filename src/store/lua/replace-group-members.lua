-- Compare-and-set of one or more members of a group, all or none: each member's stored JSON is
-- replaced only if it is still exactly what the caller read (a profile edit, a role or tag change,
-- an ownership transfer, which changes two members at once).
-- Guarantees: a decision taken on a member (a role check) never lands on a member changed or
-- removed meanwhile; a transfer never leaves a group with two owners or none.
-- KEYS: 1 group hash, 2 members hash (one hash tag `{g<id>}`)
-- ARGV: triples: openid, JSON as read, new JSON; then (last) now ms for the group's updatedAt
-- Returns: 'ok' | 'changed' (a member differs from what was read, or is gone) | 'gone' (no group)
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local n = (#ARGV - 1) / 3
for i = 0, n - 1 do
  if redis.call('HGET', KEYS[2], ARGV[i * 3 + 1]) ~= ARGV[i * 3 + 2] then return 'changed' end
end
for i = 0, n - 1 do
  redis.call('HSET', KEYS[2], ARGV[i * 3 + 1], ARGV[i * 3 + 3])
end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[#ARGV])
return 'ok'
