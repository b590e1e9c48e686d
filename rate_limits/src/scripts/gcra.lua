-- gcra.rs's step, atomically in Redis.
-- KEYS[1]: the counter. ARGV: now (ms), interval (ms), period (ms).
-- Returns {allowed (1 or 0), ms ahead of now (allowed) or retry after (refused), ms until reset}.
local now = tonumber(ARGV[1])
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
