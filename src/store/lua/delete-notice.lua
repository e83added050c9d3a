-- DELETE /api/notices/:id: cancels a notice before its publication, retracts it after.
-- Guarantees: atomically with the status check, so a notice is either cancelled before any
-- claim began its publication (and is then never published), or retracted: its job becomes
-- `retract` (from the first recipient), which replaces a publication still running — that
-- owner's next step sees the change and gives its claim back, so no inbox entry is written
-- after the retraction starts removing them.
-- KEYS: 1 notice hash
-- ARGV: 1 now ms
-- Returns: 'cancelled', 'retracted', or 'already:<status>' (cancelled or retracted before), '' (none)
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return '' end
if status == 'cancelled' or status == 'retracted' then return 'already:' .. status end
if status == 'scheduled' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'job', '', 'jobOwner', '', 'jobUntil', '',
    'updatedAt', ARGV[1])
  return 'cancelled'
end
redis.call('HSET', KEYS[1], 'status', 'retracted', 'job', 'retract', 'cursor', '0', 'updatedAt', ARGV[1])
return 'retracted'
