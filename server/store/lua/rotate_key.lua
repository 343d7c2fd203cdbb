-- Replaces the overlay key; the event tells every hub to close overlays that
-- connected with the old one. KEYS: 1 meta, 2 events  ARGV: 2 new key, 3 maxlen
if not broadcast_state() then return err('not_found', 'no such broadcast') end
redis.call('HSET', KEYS[1], 'okey', ARGV[2])
local pos = emit({type = 'key_rotated'}, tonumber(ARGV[3]))
return cjson.encode({ok = true, pos = pos})
