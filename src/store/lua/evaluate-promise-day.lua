-- The daily verdict: a day of an active promise with no keep by its end becomes 'missed'.
-- Guarantees: each day is evaluated once, whichever instances run it and however often: only a
-- call naming the promise's current `nextEvalDay` acts, and it moves `nextEvalDay` on in the
-- same step, so a second call for that day is 'stale'; a day already kept stays kept (HSETNX).
-- Only the caller that got 'missed' tells the other party.
-- KEYS: 1 promise hash (`promise:{<id>}`), 2 its days hash (`promise:{<id>}:days`)
-- ARGV: 1 the day evaluated (YYYY-MM-DD), 2 the day after it, 3 when that next day ends (ms),
--       4 now ms
-- Returns: {verdict, next end}: 'missed' (this call recorded it) or 'kept' with ARGV[3];
--          'stale' with the promise's current next end; 'gone' (ended or missing) with ''
local p = redis.call('HMGET', KEYS[1], 'status', 'nextEvalDay', 'nextEvalEnd')
if not p[1] or p[1] ~= 'active' then return {'gone', ''} end
if p[2] ~= ARGV[1] then return {'stale', p[3] or ''} end
local verdict = 'kept'
if redis.call('HSETNX', KEYS[2], ARGV[1], 'missed') == 1 then
  verdict = 'missed'
  redis.call('HINCRBY', KEYS[1], 'missedDays', 1)
  redis.call('HSET', KEYS[1], 'updatedAt', ARGV[4])
end
redis.call('HSET', KEYS[1], 'nextEvalDay', ARGV[2], 'nextEvalEnd', ARGV[3])
return {verdict, ARGV[3]}
