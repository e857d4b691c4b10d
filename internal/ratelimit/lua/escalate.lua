-- Count one violation and block the address once the threshold is reached, the same
-- steps as MemoryBlocker.Escalate.
-- KEYS: violation hash, offense hash, block hash, index zset
-- ARGV: now_ms | ip | reason | threshold | window_ms | base_ms | max_ms | offense_ttl_ms
-- Returns {0} below the threshold, else {1, until_ms, offenses, created_ms}.
local now = now_ms()
local threshold = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local base = tonumber(ARGV[6])
local maxb = tonumber(ARGV[7])
local ttl = tonumber(ARGV[8])

local v = redis.call('HMGET', KEYS[1], 'n', 'until')
local n, vuntil = tonumber(v[1]) or 0, tonumber(v[2]) or 0
if vuntil <= now then
  n, vuntil = 0, now + window
end
n = n + 1
if n < threshold then
  redis.call('HSET', KEYS[1], 'n', n, 'until', vuntil)
  redis.call('PEXPIRE', KEYS[1], vuntil - now)
  return {0}
end
redis.call('DEL', KEYS[1])

local o = redis.call('HMGET', KEYS[2], 'n', 'until')
local off = 0
if (tonumber(o[2]) or 0) > now then
  off = tonumber(o[1]) or 0
end
off = off + 1
redis.call('HSET', KEYS[2], 'n', off, 'until', now + ttl)
redis.call('PEXPIRE', KEYS[2], ttl)

local dur = base
for _ = 2, off do
  if dur >= maxb then
    break
  end
  dur = dur * 2
end
if dur > maxb then
  dur = maxb
end

local untilb = now + dur
local cur = tonumber(redis.call('HGET', KEYS[3], 'until'))
if cur and cur > untilb then
  untilb = cur
end
redis.call('HSET', KEYS[3], 'reason', ARGV[3], 'until', untilb, 'off', off, 'created', now)
redis.call('PEXPIRE', KEYS[3], untilb - now)
redis.call('ZADD', KEYS[4], untilb, ARGV[2])
return {1, untilb, off, now}
