-- gcra.rs's step, atomically in Redis.
-- KEYS[1]: the counter. ARGV: now (ms, or empty for Redis's own clock), interval (ms), period (ms).
-- Returns {allowed (1 or 0), ms ahead of now (allowed) or retry after (refused), ms until reset}.
local now = tonumber(ARGV[1])
if not now then
  -- Redis's clock orders decisions as Redis serializes them, whatever the
  -- skew between replicas or the order their requests left in.
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local interval = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then
  tat = now
end
local new_tat = tat + interval
local ahead = new_tat - now
if ahead > period then
  return {0, ahead - period, tat - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', ahead)
return {1, ahead, ahead}
