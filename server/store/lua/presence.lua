-- A hub process reports its local viewer count for a broadcast; the script sums
-- the live entries (dead processes expire), keeps the peak and the unique count,
-- and emits a presence event only when a figure changed.
-- KEYS: 1 meta, 2 events, 3 presence hash, 4 unique HyperLogLog
-- ARGV: 1 key prefix, 2 process id, 3 count, 4 ttl ms, 5 maxlen, 6.. viewer ids seen since the last report
-- include: _prelude.lua
-- A process may still hold the channel of a broadcast deleted seconds ago: its
-- report must not recreate presence, uniq or events (refused, nothing written).
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local proc, count, ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
redis.call('HSET', KEYS[3], proc, count .. ':' .. (now + ttl))
local h = redis.call('HGETALL', KEYS[3])
local sum, peak, last = 0, 0, ''
for i = 1, #h, 2 do
  local k, v = h[i], h[i + 1]
  if k == '_peak' then peak = tonumber(v)
  elseif k == '_last' then last = v
  else
    local c, exp = string.match(v, '^(%d+):(%d+)$')
    if c and tonumber(exp) > now then sum = sum + tonumber(c) else redis.call('HDEL', KEYS[3], k) end
  end
end
call_chunked('PFADD', KEYS[4], 6)
local unique = redis.call('PFCOUNT', KEYS[4])
if sum > peak then peak = sum; redis.call('HSET', KEYS[3], '_peak', peak) end
local figures = sum .. ':' .. peak .. ':' .. unique
if figures ~= last then
  redis.call('HSET', KEYS[3], '_last', figures)
  emit({type = 'presence', now = sum, peak = peak, unique = unique}, tonumber(ARGV[5]))
end
return cjson.encode({now = sum, peak = peak, unique = unique})
