-- Gives a notice's job back without finishing it (a stop, or a retraction that replaced the
-- publication the caller was running), so that another claim can take it at once.
-- KEYS: 1 notice hash
-- ARGV: 1 owner token
-- Returns: 1 released, 0 not the caller's
if redis.call('HGET', KEYS[1], 'jobOwner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'jobOwner', '', 'jobUntil', '')
return 1
