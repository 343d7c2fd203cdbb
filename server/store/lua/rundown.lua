-- The run-down: the ordered "next up" list every moderator edits. Changes name
-- the question and, for a move, the neighbour it goes after, so two consoles
-- editing at once converge; `ver` (optional) refuses a change made on an
-- older list. `next` puts the first approved question of the list on air.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key
-- ARGV: 1 key prefix, 2 op ('add' | 'remove' | 'move' | 'next'), 3 question id
--       ('' for next), 4 after: '' = at the end, '0' = at the top, else a question
--       id in the list, 5 expected version ('' = any), 6 most items,
--       7 idem ttl, 8 maxlen, 9 moderator's user name (audit log)
-- include: _overlay.lua
local op, qid, after = ARGV[2], ARGV[3], ARGV[4]
local ttl, maxlen = tonumber(ARGV[7]), tonumber(ARGV[8])
local done = idem_get(KEYS[3])
if done then return done end
if not broadcast_state() then return err('not_found', 'no such broadcast') end
local key = P .. 'rundown'
local rd = rd_table()
local function refuse(code, msg)
  return idem_put(KEYS[3], err(code, msg, {ver = rd.ver}), ttl)
end
if ARGV[5] ~= '' and tonumber(ARGV[5]) ~= rd.ver then
  return refuse('conflict', 'the run-down changed (version ' .. rd.ver .. '); reload it')
end
local inlist = has(rd.items, tonumber(qid))

local function place()
  if after == '' then
    redis.call('RPUSH', key, qid)
  elseif after == '0' then
    redis.call('LPUSH', key, qid)
  else
    redis.call('LINSERT', key, 'AFTER', after, qid)
  end
end
local function neighbour_ok()
  return after == '' or after == '0' or (after ~= qid and has(rd.items, tonumber(after)))
end

local detail = {qid = tonumber(qid), after = nullable(tonumber(after))}
local result = {ok = true}
if op == 'add' or op == 'move' then
  local status = redis.call('HGET', P .. 'q:' .. qid, 'status')
  if not status then return refuse('not_found', 'question ' .. qid .. ' does not exist') end
  if op == 'add' and inlist then return refuse('conflict', 'question ' .. qid .. ' is already in the run-down') end
  if op == 'move' and not inlist then return refuse('conflict', 'question ' .. qid .. ' is not in the run-down') end
  if op == 'add' and status ~= 'approved' then
    return refuse('conflict', 'question ' .. qid .. ' is ' .. status .. '; only approved questions wait in the run-down')
  end
  if op == 'add' and #rd.items >= tonumber(ARGV[6]) then
    return refuse('invalid', 'the run-down holds at most ' .. ARGV[6] .. ' questions')
  end
  if not neighbour_ok() then
    return refuse('conflict', 'question ' .. after .. ' is no longer in the run-down')
  end
  redis.call('LREM', key, 0, qid)
  place()
elseif op == 'remove' then
  if not inlist then return refuse('conflict', 'question ' .. qid .. ' is not in the run-down') end
  redis.call('LREM', key, 0, qid)
elseif op == 'next' then
  -- The first question still approved; those that left the list's purpose
  -- (rejected, answered meanwhile) are dropped on the way.
  local chosen, stale = nil, {}
  for _, id in ipairs(rd.items) do
    local sid = tostring(id)
    if redis.call('HGET', P .. 'q:' .. sid, 'status') == 'approved' then chosen = sid break end
    stale[#stale + 1] = sid
  end
  if not chosen then return refuse('conflict', 'the run-down has no approved question') end
  for _, sid in ipairs(stale) do redis.call('LREM', key, 0, sid) end
  local _, answered = q_on_air(chosen, 'approved', now_ms(), maxlen)
  detail = {qid = tonumber(chosen), answered = answered}
  result.qid, result.answered = tonumber(chosen), nullable(answered)
  -- q_on_air dropped it from the list and appended the run-down event.
  audit(ARGV[9], 'rundown.next', 'q:' .. chosen, cjson.encode(detail))
  result.ver = rd_table().ver
  return idem_put(KEYS[3], cjson.encode(result), ttl)
else
  return err('invalid', 'unknown operation ' .. op)
end
result.pos = rd_changed(maxlen)
result.ver = rd.ver + 1
audit(ARGV[9], 'rundown.' .. op, 'q:' .. qid, cjson.encode(detail))
return idem_put(KEYS[3], cjson.encode(result), ttl)
