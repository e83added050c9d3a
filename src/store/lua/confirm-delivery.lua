-- Marks the delivery attempt that produced a msgid with WeChat's final result (from
-- subscribe_msg_sent_event). Guarantees: scanning the capped list and rewriting the one entry
-- happen in one step, so a concurrent append (which shifts every index) cannot make LSET hit the
-- wrong attempt; only a reminder of the user the event came from is touched; repeating it with the
-- same result rewrites the same entry (idempotent).
-- KEYS: 1 deliveries list, 2 reminder hash
-- ARGV: 1 occurrence id, 2 msgid, 3 openid, 4 confirmed JSON, 5 entries to scan
local owner = redis.call('HGET', KEYS[2], 'openid')
if not owner then return 'missing' end
if owner ~= ARGV[3] then return 'foreign' end
local rows = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[5]) - 1)
for i, row in ipairs(rows) do
  local ok, entry = pcall(cjson.decode, row)
  if ok and type(entry) == 'table' and entry.msgid == ARGV[2] and entry.occurrence == ARGV[1] then
    entry.confirmed = cjson.decode(ARGV[4])
    redis.call('LSET', KEYS[1], i - 1, cjson.encode(entry))
    return 'ok'
  end
end
return 'missing'
