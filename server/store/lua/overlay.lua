-- A moderator shows one widget on the overlay ('' = nothing): the layers
-- become that widget alone (the likes with the viewer count), outside any scene.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 show, 3 poll id ('' = none), 4 idem ttl, 5 maxlen, 6 moderator's user name (audit log)
-- include: _overlay.lua
local ttl, maxlen = tonumber(ARGV[4]), tonumber(ARGV[5])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
if ARGV[3] ~= '' and redis.call('EXISTS', P .. 'p:' .. ARGV[3]) == 0 then
  return idem_put(KEYS[3], err('not_found', 'poll ' .. ARGV[3] .. ' does not exist'), ttl)
end
local st = ov_read()
st.layers = LEGACY_LAYERS[ARGV[2]] or {}
st.scene = ''
st.poll = tonumber(ARGV[3])
local pos = ov_write(st, maxlen)
audit(ARGV[6], 'overlay', 'overlay', cjson.encode({show = nullable(ARGV[2]), poll = nullable(st.poll)}))
return idem_put(KEYS[3], cjson.encode({ok = true, pos = pos}), ttl)
