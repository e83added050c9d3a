-- Admits subscribe messages about to be sent, one or many in one call (the sends a burst starts in
-- one turn of the event loop cost one round trip). Guarantees, per send, atomically: with
-- QUOTA_MODE=enforce a subscription grant is taken, never below zero (no grant: 0, no_quota, and
-- no allowance taken); then one of the user's sends of the day, never past the limit (USER_DAILY_SEND_LIMIT,
-- every feature together: -1, rate_limited, and the grant is left untouched, since it is checked
-- before either is taken). While WeChat's daily quota pause (45009) is in force nothing is admitted
-- and its remaining ms are returned, so a send is never started into a pause another instance met.
-- The day's counter expires on its own (TTL set when the day's first send creates it).
-- One Redis, not a cluster, like the claim and finish batches (the keys of many users).
-- KEYS: 1 the pause key, then per send: the user's quota hash, the user's counter of the day
-- ARGV: 1 daily limit, 2 counter TTL seconds, 3 '1' take a grant (enforce) or '0', then per send: template id
-- Returns {0, per send: 1 admitted | 0 no_quota | -1 rate_limited}, or {pause ms left} when paused.
local paused = redis.call('PTTL', KEYS[1])
if paused > 0 then return {paused} end
local limit, ttl, grants = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local out = {0}
for i = 1, (#KEYS - 1) / 2 do
  local quota, counter, template = KEYS[2 * i], KEYS[2 * i + 1], ARGV[3 + i]
  if grants and tonumber(redis.call('HGET', quota, template) or '0') < 1 then
    out[i + 1] = 0
  elseif tonumber(redis.call('GET', counter) or '0') >= limit then
    out[i + 1] = -1
  else
    if grants then redis.call('HINCRBY', quota, template, -1) end
    if redis.call('INCR', counter) == 1 then redis.call('EXPIRE', counter, ttl) end
    out[i + 1] = 1
  end
end
return out
