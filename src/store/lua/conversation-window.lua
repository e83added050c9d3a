-- The customer-service window of one user (docs/wechat.md#customer-service-messages): a message
-- from the user allows 5 messages within 48 h, entering the session 1 within 1 min; the two do not
-- add up, each action resets the window to its own maximum.
-- KEYS: 1 the user's window hash (Keys.conversationWindow: fields remaining, until, kind)
-- ARGV: 1 op (open | take | give | close), 2 now (epoch ms), then by op:
--   open  3 remaining, 4 until (ms), 5 kind (message | session), 6 keepMs (the hash's TTL)
--         → 1
--   take  → {1, remaining left, until} or {0, 'closed'} (no window, or past its end) or {0, 'used_up'}
--   give  3 until of the window the take came from → 1 when one message was given back, else 0
--   close 3 until of the window WeChat refused (45015/45047) → 1 when it was closed, else 0
-- Guarantees: two sends racing for the last message cannot both take it; a give or a close that
-- arrives after the user opened a new window (a newer message) leaves the new window alone.
local op = ARGV[1]
local now = tonumber(ARGV[2])
if op == 'open' then
  redis.call('HSET', KEYS[1], 'remaining', ARGV[3], 'until', ARGV[4], 'kind', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  return 1
end
local fields = redis.call('HMGET', KEYS[1], 'remaining', 'until')
local remaining = tonumber(fields[1])
local untilMs = tonumber(fields[2])
if op == 'take' then
  if not remaining or not untilMs or untilMs <= now then return {0, 'closed'} end
  if remaining < 1 then return {0, 'used_up'} end
  redis.call('HSET', KEYS[1], 'remaining', remaining - 1)
  return {1, remaining - 1, fields[2]}
end
if not untilMs or fields[2] ~= ARGV[3] then return 0 end
if op == 'give' then
  redis.call('HSET', KEYS[1], 'remaining', (remaining or 0) + 1)
  return 1
end
if op == 'close' then
  redis.call('HSET', KEYS[1], 'remaining', 0)
  return 1
end
return redis.error_reply('conversation-window: unknown op ' .. tostring(op))
