-- A moderator takes (上屏) the cue: its widgets, scene and poll go on air and
-- its question goes on air (the previous one answered), all in one step.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key
-- ARGV: 1 key prefix, 2 idem ttl, 3 maxlen, 4 moderator's user name (audit log)
-- include: _overlay.lua
local ttl, maxlen = tonumber(ARGV[2]), tonumber(ARGV[3])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local st = ov_read()
local cue = st.cue
if not cue then return idem_put(KEYS[3], err('conflict', 'nothing is cued'), ttl) end
local detail = {scene = cue.scene, poll = cue.poll, qid = cue.qid}
local answered = nil
if cue.qid then
  local qid = tostring(cue.qid)
  local status = redis.call('HGET', P .. 'q:' .. qid, 'status')
  -- Changed since it was cued (rejected, merged, answered): nothing goes on air.
  if status ~= 'approved' and status ~= 'on_air' then
    return idem_put(KEYS[3], err('conflict', 'question ' .. qid .. ' is ' .. tostring(status) ..
      ' since it was cued', {current = status or cjson.null}), ttl)
  end
  if status == 'approved' then
    local _
    _, answered = q_on_air(qid, status, now_ms(), maxlen)
    detail.answered = answered
  end
end
st.layers, st.scene, st.poll, st.cue = cue.layers, cue.scene or '', cue.poll, nil
local pos = ov_write(st, maxlen)
audit(ARGV[4], 'take', 'overlay', cjson.encode(detail))
return idem_put(KEYS[3], cjson.encode({ok = true, pos = pos, qid = nullable(cue.qid),
  answered = nullable(answered)}), ttl)
