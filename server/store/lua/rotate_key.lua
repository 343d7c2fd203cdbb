-- Replaces the overlay key; the event tells every hub to close overlays that
-- connected with the old one. The audit entry never holds a key.
-- KEYS: 1 meta, 2 events  ARGV: 1 key prefix, 2 new key, 3 maxlen, 4 moderator's user name (audit log)
-- include: _prelude.lua
if not broadcast_state() then return err('not_found', 'no such broadcast') end
redis.call('HSET', KEYS[1], 'okey', ARGV[2])
local pos = emit({type = 'key_rotated'}, tonumber(ARGV[3]))
audit(ARGV[4], 'overlay.key', 'overlay', '{}')
return cjson.encode({ok = true, pos = pos})
