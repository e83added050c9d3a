-- Claims a notice's job (publish or retract) for one instance, with a lease.
-- Guarantees: a scheduled notice moves to `publishing` once, at or after its publishAt, by
-- whichever instance claims it first (the once-only publication); a job is held by one owner at
-- a time, and is taken over only once its owner's lease has run out (the owner died mid-fan-out).
-- KEYS: 1 notice hash (`notice:{nt<id>}`)
-- ARGV: 1 owner token, 2 now ms, 3 lease ms
-- Returns: {'ok', job, cursor, recipients ('' until resolved), publishedAt}; {'early', publishAt};
--          {'busy', lease end}; {'none'} (no job left); {'gone'} (no such notice)
local n = redis.call('HMGET', KEYS[1], 'status', 'job', 'jobOwner', 'jobUntil', 'publishAt', 'cursor',
  'recipients', 'publishedAt')
if not n[1] then return {'gone'} end
local job = n[2] or ''
if job == '' then return {'none'} end
local now = tonumber(ARGV[2])
if job == 'publish' and n[1] == 'scheduled' and tonumber(n[5]) > now then return {'early', n[5]} end
if (n[3] or '') ~= '' and n[3] ~= ARGV[1] and tonumber(n[4] or '0') > now then return {'busy', n[4]} end
local publishedAt = n[8] or ''
if job == 'publish' and n[1] == 'scheduled' then
  redis.call('HSET', KEYS[1], 'status', 'publishing', 'updatedAt', ARGV[2])
end
if job == 'publish' and publishedAt == '' then
  publishedAt = ARGV[2]
  redis.call('HSET', KEYS[1], 'publishedAt', publishedAt)
end
redis.call('HSET', KEYS[1], 'jobOwner', ARGV[1], 'jobUntil', tostring(now + tonumber(ARGV[3])))
return {'ok', job, n[6] or '0', n[7] or '', publishedAt}
