-- A hub process reports its local viewer count for a broadcast and the visits
-- it saw begin and end; the script sums the live entries (dead processes
-- expire), keeps the peak (and when it happened), counts viewing sessions and
-- unique devices, records the per-minute figures, and emits a presence event
-- only when a figure changed.
-- KEYS: 1 meta, 2 events, 3 presence hash, 4 visits hash (device -> 'in:<ms>'
--       while one of its sockets is open somewhere, since ms; else the ms its
--       last one closed)
-- ARGV: 1 key prefix, 2 process id, 3 count, 4 ttl ms, 5 maxlen, 6 session gap ms,
--       7 stale ms, 8.. visits in the order they happened: '+<vid>' a device's
--       first socket on this process opened, '-<vid>' its last one here closed
-- A '+' starts a new view (人次) when the device was never seen, or its last
-- socket closed more than the gap ago (server/domain/report.py, VISIT_GAP_MS).
-- A device still marked 'in' (open on another process, or on a process that
-- died without saying so) continues its view, unless it was marked so more
-- than the stale time ago (VISIT_STALE_MS: a close that was never reported).
-- include: _prelude.lua
-- A process may still hold the channel of a broadcast deleted seconds ago: its
-- report must not recreate presence, uniq or events (refused, nothing written).
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local proc, count, ttl, gap = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local stale = tonumber(ARGV[7])
local now = now_ms()
redis.call('HSET', KEYS[3], proc, count .. ':' .. (now + ttl))
local h = redis.call('HGETALL', KEYS[3])
local sum, peak, last = 0, 0, ''
for i = 1, #h, 2 do
  local k, v = h[i], h[i + 1]
  if k == '_peak' then peak = tonumber(v)
  elseif k == '_last' then last = v
  elseif string.sub(k, 1, 1) ~= '_' then  -- '_peak_at', '_views': figures, not processes
    local c, exp = string.match(v, '^(%d+):(%d+)$')
    if c and tonumber(exp) > now then sum = sum + tonumber(c) else redis.call('HDEL', KEYS[3], k) end
  end
end
local views, devices = 0, 0
for i = 8, #ARGV do
  local mark, vid = string.sub(ARGV[i], 1, 1), string.sub(ARGV[i], 2)
  if mark == '+' then
    local seen = redis.call('HGET', KEYS[4], vid)
    local opened = seen and string.match(seen, '^in:(%d+)$')
    if not seen then
      views, devices = views + 1, devices + 1
    elseif opened then
      -- Open since a time longer ago than any show: the close was lost (a
      -- killed process never reported it), so this is a new visit.
      if now - tonumber(opened) > stale then views = views + 1 end
    elseif now - tonumber(seen) > gap then
      views = views + 1
    end
    redis.call('HSET', KEYS[4], vid, 'in:' .. now)
  elseif mark == '-' then
    redis.call('HSET', KEYS[4], vid, now)
  end
end
tl_add('views', views, now)
tl_add('devices', devices, now)
tl_max('viewers', sum, now)
if views > 0 then redis.call('HINCRBY', KEYS[3], '_views', views) end
local unique = redis.call('HLEN', KEYS[4])
if sum > peak then
  peak = sum
  redis.call('HSET', KEYS[3], '_peak', peak, '_peak_at', now)
end
local figures = sum .. ':' .. peak .. ':' .. unique
if figures ~= last then
  redis.call('HSET', KEYS[3], '_last', figures)
  emit({type = 'presence', now = sum, peak = peak, unique = unique}, tonumber(ARGV[5]))
end
return cjson.encode({now = sum, peak = peak, unique = unique})
