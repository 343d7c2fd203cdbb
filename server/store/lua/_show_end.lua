-- The end of a show (bc_update.lua, target 'ended'), in the same script as the
-- state change, so no reader ever sees an ended broadcast with something still
-- on air or a poll still open (docs/console.md, "Ending the show"):
--   * the on-air question becomes answered (as when the next one goes on air),
--     and xs:{b}:onair is cleared;
--   * every open poll is closed, its final tallies in its 'poll' event;
--   * the overlay is told to show nothing;
--   * pending and approved questions are left as they are: they are the
--     follow-up triage's (docs/followup.md, "Triage").
-- Returns the audit detail's parts {answered, polls, unsettled}. Idempotent by
-- construction: a second run finds nothing on air, no open poll, an empty overlay.
-- include: _prelude.lua
local function end_show(maxlen)
  local now = now_ms()
  local summary, closed = {}, {}
  local onair = redis.call('GET', P .. 'onair')
  if onair then
    local qkey = P .. 'q:' .. onair
    if redis.call('HGET', qkey, 'status') == 'on_air' then
      redis.call('HSET', qkey, 'status', 'answered', 'updated', now, 'answered_at', now)
      redis.call('ZREM', P .. 'qs:on_air', onair)
      redis.call('ZADD', P .. 'qs:answered', redis.call('HGET', qkey, 'created'), onair)
      local q, asker = question_table(qkey)
      emit({type = 'question', q = q, asker = asker, prev = 'on_air'}, maxlen)
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
  local shown = redis.call('HMGET', P .. 'overlay', 'show', 'poll')
  if (shown[1] or '') ~= '' or (shown[2] or '') ~= '' then
    if (shown[2] or '') ~= '' then redis.call('HSET', P .. 'p:' .. shown[2], 'shown', 0) end
    redis.call('HSET', P .. 'overlay', 'show', '', 'poll', '')
    emit({type = 'overlay', show = cjson.null, poll = cjson.null}, maxlen)
  end
  summary.unsettled = redis.call('ZCARD', P .. 'qs:pending') + redis.call('ZCARD', P .. 'qs:approved')
  return summary
end
