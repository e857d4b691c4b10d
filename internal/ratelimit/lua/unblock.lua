-- Lift a block and forget the address's offenses and violations.
-- KEYS: block hash, index zset, offense hash, violation hash
-- ARGV: now_ms | ip
-- Returns 1 when a block was in force, else 0.
local now = now_ms()
local untilb = tonumber(redis.call('HGET', KEYS[1], 'until'))
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[2], ARGV[2])
if untilb and untilb > now then
  return 1
end
return 0
