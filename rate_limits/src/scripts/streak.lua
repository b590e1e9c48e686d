-- failure_streak.rs's begin, atomically in Redis.
-- KEYS[1]: the streak. ARGV: now (ms, or empty for Redis's own clock), free, first delay, max delay, forget after (ms).
-- Returns {began (1 or 0), prior count (began) or 0, retry after ms (refused) or 0}.
local now = tonumber(ARGV[1])
if not now then
  -- Redis's clock, as in gcra.lua.
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local free = tonumber(ARGV[2])
local first_delay = tonumber(ARGV[3])
local max_delay = tonumber(ARGV[4])
local forget_after = tonumber(ARGV[5])
local stored = redis.call('HMGET', KEYS[1], 'count', 'next_at')
local count = tonumber(stored[1] or 0)
local next_at = tonumber(stored[2] or 0)
if now < next_at then
  return {0, 0, next_at - now}
end
local prior = count
count = count + 1
local delay = 0
if count >= free then
  delay = math.min(max_delay, first_delay * 2 ^ math.min(count - free, 31))
end
delay = math.floor(delay)
-- A free attempt leaves the wait as it was (see failure_streak.rs).
if delay > 0 then
  next_at = now + delay
end
redis.call('HSET', KEYS[1], 'count', count, 'next_at', next_at)
redis.call('PEXPIRE', KEYS[1], forget_after + delay)
return {1, prior, 0}
