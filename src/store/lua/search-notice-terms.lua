-- Finds, in one group's search index, the notices under every term given, newest first, from a
-- cursor on: the rarest term is walked and each of its notices looked up in the others (ZSCORE),
-- so the work is bounded by the rarest term, not by the group's notices.
-- Guarantees: read-only; at most ARGV[3] notices examined per call (a long walk is continued by
-- the caller from the returned position, never holding Redis for long).
-- KEYS: the term zsets (one group's hash tag `{g<id>}`)
-- ARGV: 1 cursor member (exclusive; '' from the newest), 2 matches wanted, 3 examined at most
-- Returns: {done (1: nothing older is left), last member examined ('' none), matches...}
local n = #KEYS
local order = {}
for i = 1, n do
  local count = redis.call('ZCARD', KEYS[i])
  if count == 0 then return {1, ''} end
  order[i] = {count, KEYS[i]}
end
table.sort(order, function(a, b) return a[1] < b[1] end)
local drive = order[1][2]
local want = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
local out = {0, ''}
local from = ARGV[1] == '' and '+' or ('(' .. ARGV[1])
local examined = 0
while true do
  local batch = redis.call('ZRANGE', drive, from, '-', 'BYLEX', 'REV', 'LIMIT', 0, 256)
  for _, m in ipairs(batch) do
    examined = examined + 1
    local all = true
    for j = 2, n do
      if not redis.call('ZSCORE', order[j][2], m) then
        all = false
        break
      end
    end
    if all then out[#out + 1] = m end
    out[2] = m
    if #out - 2 >= want or examined >= budget then return out end
  end
  if #batch < 256 then
    out[1] = 1
    return out
  end
  from = '(' .. out[2]
end
