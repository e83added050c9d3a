-- Records the window of a 45009 pause, `<startMs>:<endMs>`; occurrences it held back measure their
-- misfire grace from its end. Guarantees: a pause that begins while the previous window still
-- matters (its end plus the grace has not passed) extends that window instead of replacing it, so
-- an occurrence held back by back-to-back pauses keeps its right to be sent until the last one ends.
-- The pause itself (which stops the sends) is a key of its own, set after this one.
-- KEYS: 1 window key
-- ARGV: 1 now ms (the pause starts), 2 end ms, 3 grace ms, 4 TTL ms of the window
local start = tonumber(ARGV[1])
local finish = tonumber(ARGV[2])
local current = redis.call('GET', KEYS[1])
if current then
  local s, e = string.match(current, '^(%d+):(%d+)$')
  if s and tonumber(e) + tonumber(ARGV[3]) >= start then
    start = math.min(start, tonumber(s))
    finish = math.max(finish, tonumber(e))
  end
end
local window = string.format('%d:%d', start, finish)
redis.call('SET', KEYS[1], window, 'PX', tonumber(ARGV[4]))
return window
