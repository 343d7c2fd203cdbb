-- A moderator cues (预备) what the overlay shows next, or clears the cue. The
-- cue is shared by every moderator and drawn by the overlay page in preview
-- mode only (?preview=1): nothing on air changes. What a cue does not name
-- stays as cued before (or, with nothing cued, as on air).
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key
-- ARGV: 1 key prefix, 2 op ('set' | 'clear'), 3 scene id ('' = the widgets on air),
--       4 question id ('' = none), 5 poll id ('' = the poll on air), 6 idem ttl,
--       7 maxlen, 8 moderator's user name (audit log)
-- include: _overlay.lua
local op, ttl, maxlen = ARGV[2], tonumber(ARGV[6]), tonumber(ARGV[7])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local st = ov_read()
local detail = {}
if op == 'clear' then
  if not st.cue then return idem_put(KEYS[3], cjson.encode({ok = true}), ttl) end
  st.cue = nil
else
  -- A cue is built up: cueing a scene keeps the cued question, and the reverse.
  local cue = st.cue or {layers = st.layers, scene = st.scene ~= '' and st.scene or nil, poll = st.poll}
  if ARGV[3] ~= '' then
    local scene = find_scene(st.scenes, ARGV[3])
    if not scene then return idem_put(KEYS[3], err('not_found', 'scene ' .. ARGV[3] .. ' does not exist'), ttl) end
    cue.layers, cue.scene = scene.widgets, ARGV[3]
    detail.scene = ARGV[3]
  end
  if ARGV[4] ~= '' then
    local status = redis.call('HGET', P .. 'q:' .. ARGV[4], 'status')
    if not status then
      return idem_put(KEYS[3], err('not_found', 'question ' .. ARGV[4] .. ' does not exist'), ttl)
    end
    -- Only what viewers may see can be cued: the preview is an overlay page.
    if status ~= 'approved' and status ~= 'on_air' then
      return idem_put(KEYS[3], err('conflict', 'question ' .. ARGV[4] .. ' is ' .. status ..
        '; only an approved question can be cued', {current = status}), ttl)
    end
    cue.qid = tonumber(ARGV[4])
    detail.qid = cue.qid
  end
  if ARGV[5] ~= '' then
    local state = redis.call('HGET', P .. 'p:' .. ARGV[5], 'state')
    if not state then return idem_put(KEYS[3], err('not_found', 'poll ' .. ARGV[5] .. ' does not exist'), ttl) end
    if state == 'draft' then
      return idem_put(KEYS[3], err('conflict', 'poll ' .. ARGV[5] .. ' is a draft; open it first'), ttl)
    end
    cue.poll = tonumber(ARGV[5])
    detail.poll = cue.poll
  end
  st.cue = cue
end
local pos = ov_write(st, maxlen)
audit(ARGV[8], 'cue', 'overlay', cjson.encode(detail))
return idem_put(KEYS[3], cjson.encode({ok = true, pos = pos}), ttl)
