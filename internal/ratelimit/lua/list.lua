-- List the blocks in force, dropping index entries whose block has lifted.
-- KEYS: index zset
-- ARGV: now_ms | block key prefix
-- The block hashes are named from ARGV[2] rather than declared in KEYS, as their set
-- is only known here; they share the index's hash tag, hence its cluster slot.
-- Returns {ip, reason, until_ms, offenses, created_ms, ...}.
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)

local out = {}
for _, ip in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local r = redis.call('HMGET', ARGV[2] .. ip, 'reason', 'until', 'off', 'created')
  local untilb = tonumber(r[2])
  if untilb and untilb > now then
    table.insert(out, ip)
    table.insert(out, r[1])
    table.insert(out, untilb)
    table.insert(out, tonumber(r[3]))
    table.insert(out, tonumber(r[4]))
  else
    redis.call('ZREM', KEYS[1], ip)
  end
end
return out
