-- Weighted two-bucket sliding window, the same steps as window.take in window.go.
-- KEYS[1]: hash {w = window index, c = current count, p = previous count}
-- ARGV: now_ms | window_ms | capacity | cost
-- Returns {allowed (0/1), remaining, reset_ms, retry_ms}.
local now = now_ms()
local win = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])

local s = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local w = tonumber(s[1])
local cur = tonumber(s[2]) or 0
local prev = tonumber(s[3]) or 0

local idx = math.floor(now / win)
if w == nil then
  cur, prev = 0, 0
elseif w > idx then
  idx = w
  now = w * win
elseif w == idx - 1 then
  prev, cur = cur, 0
elseif w < idx - 1 then
  prev, cur = 0, 0
end

local elapsed = now - idx * win
local used = prev * (win - elapsed) + cur * win
local allowed, retry = 0, 0
if used + cost * win <= cap * win then
  allowed = 1
  cur = cur + cost
  used = used + cost * win
  redis.call('HSET', KEYS[1], 'w', idx, 'c', cur, 'p', prev)
  redis.call('PEXPIRE', KEYS[1], (idx + 2) * win - now)
elseif cur + cost <= cap then
  retry = win - elapsed - math.floor((cap - cur - cost) * win / prev)
else
  retry = win - elapsed + win - math.floor((cap - cost) * win / cur)
end

local remaining = math.floor((cap * win - used) / win)
if remaining < 0 then
  remaining = 0
end
return {allowed, remaining, win - elapsed, retry}
