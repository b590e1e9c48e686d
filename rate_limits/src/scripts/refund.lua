-- failure_streak.rs's refund, atomically in Redis.
-- KEYS[1]: the streak. ARGV: free. Keeps the streak's time to live.
local stored = redis.call('HMGET', KEYS[1], 'count', 'next_at')
if not stored[1] then
  return 0
end
local count = math.max(tonumber(stored[1]) - 1, 0)
local next_at = tonumber(stored[2] or 0)
if count < tonumber(ARGV[1]) then
  next_at = 0
end
redis.call('HSET', KEYS[1], 'count', count, 'next_at', next_at)
return 1
