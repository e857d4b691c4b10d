-- Block an address, keeping the offenses it has already earned.
-- KEYS: block hash, index zset, offense hash
-- ARGV: now_ms | ip | reason | duration_ms
-- Returns {until_ms, offenses, created_ms}.
local now = now_ms()
local dur = tonumber(ARGV[4])

local o = redis.call('HMGET', KEYS[3], 'n', 'until')
local off = 0
if (tonumber(o[2]) or 0) > now then
  off = tonumber(o[1]) or 0
end

local untilb = now + dur
redis.call('HSET', KEYS[1], 'reason', ARGV[3], 'until', untilb, 'off', off, 'created', now)
redis.call('PEXPIRE', KEYS[1], dur)
redis.call('ZADD', KEYS[2], untilb, ARGV[2])
return {untilb, off, now}
