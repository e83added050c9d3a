-- Records WeChat's final word on a notification's send (subscribe_msg_sent_event for its msgid).
-- ErrorCode 0 marks it delivered; anything else turns its outcome into 'failed' (as for a
-- reminder, docs/architecture.md#delivery-reports-can-fail-a-send): status and lastResult, and the
-- shard's stats of the day it was sent, whose count moves from `sent` to `failed`.
-- Guarantees: only a notification of the user the event came from, and only the send that got
-- this msgid, is touched; the first report wins and a later one changes nothing ('unchanged').
-- KEYS: 1 the notification hash, 2 the shard's stats hash of the day it was sent
-- ARGV: 1 msgid, 2 openid, 3 confirmed JSON {at, errorCode, status}, 4 '1' when WeChat reports a
--       failure, 5 its errcode ('' when not a number), 6 now ms
-- Returns 'delivered', 'failed', 'unchanged', 'missing' or 'foreign'.
local state = redis.call('HMGET', KEYS[1], 'openid', 'lastResult', 'confirmed', 'status')
if not state[1] then return 'missing' end
if state[1] ~= ARGV[2] then return 'foreign' end
local ok, last = pcall(cjson.decode, state[2] or '')
if not ok or type(last) ~= 'table' or last.msgid ~= ARGV[1] then return 'missing' end
if state[3] then return 'unchanged' end
redis.call('HSET', KEYS[1], 'confirmed', ARGV[3], 'updatedAt', ARGV[6])
if ARGV[4] ~= '1' then return 'delivered' end
if state[4] ~= 'sent' then return 'unchanged' end
local confirmed = cjson.decode(ARGV[3])
last.at = confirmed.at
last.errcode = ARGV[5] ~= '' and tonumber(ARGV[5]) or cjson.null
last.errmsg = confirmed.status
redis.call('HSET', KEYS[1], 'status', 'failed', 'lastResult', cjson.encode(last))
if tonumber(redis.call('HGET', KEYS[2], 'sent') or '0') > 0 then redis.call('HINCRBY', KEYS[2], 'sent', -1) end
redis.call('HINCRBY', KEYS[2], 'failed', 1)
return 'failed'
