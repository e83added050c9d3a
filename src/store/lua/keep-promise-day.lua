-- Marks one day of a promise kept, by its keeper, while that day lasts.
-- Guarantees: a day gets one verdict (HSETNX semantics shared with evaluate-promise-day.lua):
-- a day already kept answers 'unchanged' (so the other party is told once), a day already missed,
-- or one that has ended, cannot become kept ('closed'); kept-day count and streak move once per
-- day, in the same step.
-- KEYS: 1 promise hash (`promise:{<id>}`), 2 its days hash (`promise:{<id>}:days`)
-- ARGV: 1 caller's openid, 2 day (YYYY-MM-DD), 3 when that day ends (ms), 4 now ms,
--       5 the day before ARGV[2]
-- Returns: 'kept' | 'unchanged' | 'closed' | 'ended' | 'forbidden' | 'early' | 'gone'
local p = redis.call('HMGET', KEYS[1], 'status', 'keeper', 'startDay', 'streakEnd', 'streakLen')
if not p[1] then return 'gone' end
if p[1] ~= 'active' then return 'ended' end
if p[2] ~= ARGV[1] then return 'forbidden' end
if not p[3] or p[3] == '' or ARGV[2] < p[3] then return 'early' end
local verdict = redis.call('HGET', KEYS[2], ARGV[2])
if verdict == 'kept' then return 'unchanged' end
if verdict or tonumber(ARGV[4]) >= tonumber(ARGV[3]) then return 'closed' end
redis.call('HSET', KEYS[2], ARGV[2], 'kept')
redis.call('HINCRBY', KEYS[1], 'keptDays', 1)
local streak = 1
if p[4] == ARGV[5] then streak = (tonumber(p[5]) or 0) + 1 end
redis.call('HSET', KEYS[1], 'streakEnd', ARGV[2], 'streakLen', streak, 'updatedAt', ARGV[4])
return 'kept'
