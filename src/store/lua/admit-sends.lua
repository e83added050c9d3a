-- Admits subscribe messages about to be sent, one or many in one call (the sends a burst starts in
-- one turn of the event loop cost one round trip per shard). Guarantees, per send, atomically: with
-- QUOTA_MODE=enforce a subscription grant is taken, never below zero (no grant: 0, no_quota, and
-- no allowance taken); then one of the user's sends of the day, never past the limit (USER_DAILY_SEND_LIMIT,
-- every feature together: -1, rate_limited, and the grant is left untouched, since it is checked
-- before either is taken). The day's counter expires on its own (TTL set when the day's first send
-- creates it). WeChat's 45009 pause is a global key, read by the caller just before (SendLimiter.admit).
-- Called once per shard with that shard's users' sends.
-- KEYS (one shard, one hash tag): per send: the user's quota hash, the user's counter of the day
-- ARGV: 1 daily limit, 2 counter TTL seconds, 3 '1' take a grant (enforce) or '0', then per send: template id
-- Returns per send: 1 admitted | 0 no_quota | -1 rate_limited.
local limit, ttl, grants = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local out = {}
for i = 1, #KEYS / 2 do
  local quota, counter, template = KEYS[2 * i - 1], KEYS[2 * i], ARGV[3 + i]
  if grants and tonumber(redis.call('HGET', quota, template) or '0') < 1 then
    out[i] = 0
  else
    -- Counted first and taken back past the limit: one command for the send that goes out.
    local sent = redis.call('INCR', counter)
    if sent == 1 then redis.call('EXPIRE', counter, ttl) end
    if sent > limit then
      redis.call('DECR', counter)
      out[i] = -1
    else
      if grants then redis.call('HINCRBY', quota, template, -1) end
      out[i] = 1
    end
  end
end
return out
