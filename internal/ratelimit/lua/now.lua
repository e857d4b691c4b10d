-- Prepended to every script. ARGV[1] is the caller's clock in Unix milliseconds, or
-- empty to use the server's TIME so that every process shares one clock.
local function now_ms()
  if ARGV[1] ~= '' then
    return tonumber(ARGV[1])
  end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
