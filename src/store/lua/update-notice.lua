-- Edits a notice before its publication.
-- Guarantees: only a `scheduled` notice changes, atomically with that check, so an edit never
-- lands on a notice whose publication a claim has begun (claim-notice-job.lua moves it first).
-- KEYS: 1 notice hash
-- ARGV: field/value pairs
-- Returns: 'ok', or the notice's status when it is not scheduled ('' when there is none)
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return '' end
if status ~= 'scheduled' then return status end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 'ok'
