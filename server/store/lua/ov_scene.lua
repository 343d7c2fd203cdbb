-- A moderator switches the overlay to a scene, or adds, changes or deletes one.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key
-- ARGV: 1 key prefix, 2 op ('switch' | 'put' | 'delete'), 3 scene id,
--       4 name (put), 5 widgets, comma list (put, validated by the hub),
--       6 poll id for the scene's poll widget ('' = keep), 7 most scenes (put),
--       8 idem ttl, 9 maxlen, 10 moderator's user name (audit log)
-- Switching puts the scene's widgets on air at once (the take of a cued scene
-- is ov_take.lua); changing the scene on air changes the air with it.
-- include: _overlay.lua
local op, id, ttl, maxlen = ARGV[2], ARGV[3], tonumber(ARGV[8]), tonumber(ARGV[9])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local st = ov_read()
local scene, index = find_scene(st.scenes, id)
local detail = {scene = id}
if op == 'switch' then
  if not scene then return idem_put(KEYS[3], err('not_found', 'scene ' .. id .. ' does not exist'), ttl) end
  if ARGV[6] ~= '' then
    if redis.call('EXISTS', P .. 'p:' .. ARGV[6]) == 0 then
      return idem_put(KEYS[3], err('not_found', 'poll ' .. ARGV[6] .. ' does not exist'), ttl)
    end
    st.poll = tonumber(ARGV[6])
    detail.poll = st.poll
  end
  st.layers, st.scene = scene.widgets, id
elseif op == 'put' then
  local new = {id = id, name = ARGV[4], widgets = split_list(ARGV[5])}
  if scene then
    st.scenes[index] = new
  elseif #st.scenes >= tonumber(ARGV[7]) then
    return idem_put(KEYS[3], err('invalid', 'at most ' .. ARGV[7] .. ' scenes'), ttl)
  else
    st.scenes[#st.scenes + 1] = new
  end
  if st.scene == id then st.layers = new.widgets end
  detail.name, detail.widgets = new.name, ARGV[5]
elseif op == 'delete' then
  if not scene then return idem_put(KEYS[3], err('not_found', 'scene ' .. id .. ' does not exist'), ttl) end
  table.remove(st.scenes, index)
  -- What is on air stays; it just no longer belongs to a scene.
  if st.scene == id then st.scene = '' end
  if st.cue and st.cue.scene == id then st.cue.scene = nil end
else
  return err('invalid', 'unknown operation ' .. op)
end
local pos = ov_write(st, maxlen)
audit(ARGV[10], 'scene.' .. op, 'scene:' .. id, cjson.encode(detail))
return idem_put(KEYS[3], cjson.encode({ok = true, pos = pos}), ttl)
