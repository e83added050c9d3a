-- Appends delivery attempts to their reminders' capped delivery lists (LPUSH, then LTRIM once a
-- list is past the cap, as ReminderStore.appendDelivery does), many in one call: the attempts of a
-- burst cost one round-trip.
-- Called once per shard (reminders' and notifications' alike), so its keys share one hash tag.
-- KEYS: per attempt: the reminder's deliveries list
-- ARGV: 1 entries kept per list, then per attempt: its JSON
local kept = tonumber(ARGV[1])
for i = 1, #KEYS do
  if redis.call('LPUSH', KEYS[i], ARGV[i + 1]) > kept then redis.call('LTRIM', KEYS[i], 0, kept - 1) end
end
return #KEYS
