-- The end of a show (bc_update.lua, target 'ended'), in the same script as the
-- state change, so no reader ever sees an ended broadcast with something still
-- on air or a poll still open (docs/console.md, "Ending the show"):
--   * the on-air question becomes answered (as when the next one goes on air),
--     and xs:{b}:onair is cleared;
--   * every open poll is closed, its final tallies in its 'poll' event;
--   * the overlay is told to show nothing (no layer, no poll, no cue;
--     the scenes are kept for a later show);
--   * pending and approved questions are left as they are: they are the
--     follow-up triage's (docs/followup.md, "Triage").
-- Returns the audit detail's parts {answered, polls, unsettled}. Idempotent by
-- construction: a second run finds nothing on air, no open poll, an empty overlay.
-- include: _overlay.lua
local function end_show(maxlen)
  local now = now_ms()
  local summary, closed = {}, {}
  local onair = redis.call('GET', P .. 'onair')
  if onair then
    local qkey = P .. 'q:' .. onair
    if redis.call('HGET', qkey, 'status') == 'on_air' then
      q_move(qkey, onair, 'on_air', 'answered', now, maxlen)
      summary.answered = tonumber(onair)
    end
    redis.call('DEL', P .. 'onair')
  end
  for _, pid in ipairs(redis.call('ZRANGE', P .. 'polls', 0, -1)) do
    local pkey = P .. 'p:' .. pid
    if redis.call('HGET', pkey, 'state') == 'open' then
      redis.call('HSET', pkey, 'state', 'closed')
      emit({type = 'poll', poll = poll_table(pid)}, maxlen)
      table.insert(closed, tonumber(pid))
    end
  end
  -- Absent rather than empty: cjson would write an empty list as {}.
  if #closed > 0 then summary.polls = closed end
  -- Nothing on screen and nothing cued (the scenes themselves are kept). An
  -- overlay no moderator ever touched holds only the default scene, which the
  -- pages of an ended broadcast do not draw: it is left for a show to come.
  local st = ov_read()
  local touched = redis.call('HEXISTS', P .. 'overlay', 'layers') == 1
    or redis.call('HEXISTS', P .. 'overlay', 'show') == 1
  if touched and (#st.layers > 0 or st.poll or st.cue) then
    st.layers, st.scene, st.poll, st.cue = {}, '', nil, nil
    ov_write(st, maxlen)
  end
  summary.unsettled = redis.call('ZCARD', P .. 'qs:pending') + redis.call('ZCARD', P .. 'qs:approved')
  return summary
end
