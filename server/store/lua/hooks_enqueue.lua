-- The delivery worker turns a broadcast's new events into deliveries and moves
-- its read position past them, in one step: a crash before the step re-reads
-- the same events and makes the same delivery ids (nothing lost), a crash after
-- it loses nothing either (the deliveries are queued in Redis).
-- KEYS: 1 positions hash (bid -> last stream id read), 2 due zset (delivery id
--       -> due ms), 3.. each delivery's hash (keys.hook_delivery), in ARGV's order
-- ARGV: 1 'xs:{dep}:hooks:', 2 bid, 3 the last stream id read, 4.. triples
--       (delivery id, webhook id, body JSON)
-- include: _prelude.lua
local now = now_ms()
local queued = 0
for i = 4, #ARGV, 3 do
  local dkey = KEYS[3 + (i - 4) / 3]
  -- An id seen before (a re-read after a crash) is not queued twice.
  if redis.call('EXISTS', dkey) == 0 then
    redis.call('HSET', dkey, 'hook', ARGV[i + 1], 'body', ARGV[i + 2], 'attempts', 0, 'created', now)
    redis.call('ZADD', KEYS[2], now, ARGV[i])
    queued = queued + 1
  end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return cjson.encode({ok = true, queued = queued})
