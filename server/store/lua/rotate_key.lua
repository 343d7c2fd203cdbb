-- Replaces the overlay key; the event tells every hub to close overlays that
-- connected with the old one. The audit entry never holds a key.
-- The host view's key (hkey) is rotated alike, and closes host views the same way.
-- KEYS: 1 meta, 2 events  ARGV: 1 key prefix, 2 new key, 3 maxlen, 4 moderator's user name
--   (audit log), 5 which key: 'okey' (overlay, the default) | 'hkey' (host view)
-- include: _prelude.lua
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local field = ARGV[5] == 'hkey' and 'hkey' or 'okey'
redis.call('HSET', KEYS[1], field, ARGV[2])
local pos = emit({type = 'key_rotated'}, tonumber(ARGV[3]))
audit(ARGV[4], field == 'hkey' and 'host.key' or 'overlay.key', field == 'hkey' and 'host' or 'overlay', '{}')
return cjson.encode({ok = true, pos = pos})
