-- Look up the block in force for one address.
-- KEYS: block hash
-- ARGV: now_ms
-- Returns {reason, until_ms, offenses, created_ms}, or nil when not blocked.
local now = now_ms()
local r = redis.call('HMGET', KEYS[1], 'reason', 'until', 'off', 'created')
local untilb = tonumber(r[2])
if not untilb or untilb <= now then
  return false
end
return {r[1], untilb, tonumber(r[3]), tonumber(r[4])}
