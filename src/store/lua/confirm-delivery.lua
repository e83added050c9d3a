-- Records WeChat's final word on the delivery attempt that produced a msgid (from
-- subscribe_msg_sent_event). A report with ErrorCode 0 only marks the attempt confirmed; any other
-- turns that send's outcome into 'failed' (docs/architecture.md#delivery-reports-can-fail-a-send):
-- the attempt's result, the reminder's status and lastResult when they still describe this send,
-- and the stats of the day the attempt ended, whose count moves from `sent` to `failed`, so a send
-- is counted once. That day is known only here (from the attempt), so the caller passes the shard's
-- stats hashes of every day such an attempt can be of (its msgid link lives 7 days) with their
-- names, and the one of the attempt's day is taken; an older attempt moves no count.
-- Guarantees: scanning the capped list and rewriting the one entry happen in one step, so a
-- concurrent append (which shifts every index) cannot make LSET hit the wrong attempt; only a
-- reminder of the user the event came from is touched; the first report on an attempt wins and a
-- later one changes nothing ('unchanged'), so no count moves twice.
-- KEYS (one shard, one hash tag): 1 deliveries list, 2 reminder hash, 3.. the shard's stats hash
--       of each day ARGV[9..] names, in that order
-- ARGV: 1 occurrence id, 2 msgid, 3 openid, 4 confirmed JSON, 5 entries to scan,
--       6 '1' when WeChat reports a failure, 7 its errcode ('' when not a number), 8 now ms,
--       9.. the days (`YYYY-MM-DD`) of KEYS[3..]
-- Returns 'delivered', 'failed', 'unchanged', 'missing' or 'foreign'.
local owner = redis.call('HGET', KEYS[2], 'openid')
if not owner then return 'missing' end
if owner ~= ARGV[3] then return 'foreign' end
local failed = ARGV[6] == '1'
local confirmed = cjson.decode(ARGV[4])
local rows = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[5]) - 1)
for i, row in ipairs(rows) do
  local ok, entry = pcall(cjson.decode, row)
  if ok and type(entry) == 'table' and entry.msgid == ARGV[2] and entry.occurrence == ARGV[1] then
    if entry.confirmed ~= nil then return 'unchanged' end
    entry.confirmed = confirmed
    if not failed then
      redis.call('LSET', KEYS[1], i - 1, cjson.encode(entry))
      return 'delivered'
    end
    if entry.result ~= 'sent' then -- only an accepted send has a msgid; nothing to turn otherwise
      redis.call('LSET', KEYS[1], i - 1, cjson.encode(entry))
      return 'unchanged'
    end
    entry.result = 'failed'
    redis.call('LSET', KEYS[1], i - 1, cjson.encode(entry))
    local day = string.sub(entry.at or '', 1, 10)
    local stats = nil
    for d = 9, #ARGV do
      if ARGV[d] == day then stats = KEYS[d - 6] end
    end
    if stats then
      if tonumber(redis.call('HGET', stats, 'sent') or '0') > 0 then
        redis.call('HINCRBY', stats, 'sent', -1)
      end
      redis.call('HINCRBY', stats, 'failed', 1)
    end
    local raw = redis.call('HGET', KEYS[2], 'lastResult')
    local okLast, last = pcall(cjson.decode, raw or '')
    if okLast and type(last) == 'table' and last.msgid == ARGV[2] then
      last.at = confirmed.at
      last.errcode = ARGV[7] ~= '' and tonumber(ARGV[7]) or cjson.null
      last.errmsg = confirmed.status
      redis.call('HSET', KEYS[2], 'lastResult', cjson.encode(last), 'updatedAt', ARGV[8])
      -- A one-shot that ended with this send: a recurring one stays pending, its next slot ahead.
      if redis.call('HGET', KEYS[2], 'status') == 'sent' then
        redis.call('HSET', KEYS[2], 'status', 'failed')
      end
    end
    return 'failed'
  end
end
return 'missing'
