-- A moderator moves a question to another status.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (xs:{<bid>}:idem:<actor>:<id>)
-- ARGV: 1 key prefix, 2 moderator's user name (for the audit log; '' = not audited),
--       3 qid, 4 target, 5 allowed-from (comma list, from the domain's
--       transition table), 6 expected current status ('' = any), 7 reason,
--       8 idem ttl, 9 stream maxlen
-- Putting a question on air ends the previous on-air question as answered:
-- there is one on-air question at a time, and both changes are one atomic step.
-- include: _prelude.lua
local user = ARGV[2]
local qid, target, allowed, expect, reason = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local ttl, maxlen = tonumber(ARGV[8]), tonumber(ARGV[9])

local done = idem_get(KEYS[3])
if done then return done end
-- Nothing is written, not even the refusal, once the broadcast is gone.
if not broadcast_state() then return err('not_found', 'no such broadcast') end

local qkey = P .. 'q:' .. qid
local cur = redis.call('HGET', qkey, 'status')
if not cur then return idem_put(KEYS[3], err('not_found', 'question ' .. qid .. ' does not exist'), ttl) end
if expect ~= '' and cur ~= expect then
  return idem_put(KEYS[3], err('conflict', 'question ' .. qid .. ' is already ' .. cur ..
    ' (changed by another moderator)', {current = cur}), ttl)
end
if cur == target then
  return idem_put(KEYS[3], err('conflict', 'question ' .. qid .. ' is already ' .. cur, {current = cur}), ttl)
end
if not string.find(',' .. allowed .. ',', ',' .. cur .. ',', 1, true) then
  return idem_put(KEYS[3], err('conflict', 'question ' .. qid .. ' is ' .. cur ..
    '; it cannot become ' .. target, {current = cur}), ttl)
end

local now = now_ms()
local function move(key, id, from, to)
  redis.call('HSET', key, 'status', to, 'updated', now)
  -- When it last went on air and was last marked answered (the export's
  -- on-air columns, the report's on-air marks); approved_at once, when first public.
  if to == 'on_air' then redis.call('HSET', key, 'onair_at', now) end
  if to == 'answered' then redis.call('HSET', key, 'answered_at', now) end
  if to == 'approved' or to == 'on_air' or to == 'answered' then first_shown(key, now) end
  local created, votes = unpack(redis.call('HMGET', key, 'created', 'votes'))
  index_move(id, from, to, created, votes)
  local q, asker = question_table(key)
  return emit({type = 'question', q = q, asker = asker, prev = from}, maxlen)
end

local detail = {from = cur, to = target}
if target == 'on_air' then
  local prev = redis.call('GET', P .. 'onair')
  if prev and prev ~= qid then
    local pkey = P .. 'q:' .. prev
    local pstatus = redis.call('HGET', pkey, 'status')
    if pstatus == 'on_air' then
      move(pkey, prev, 'on_air', 'answered')
      detail.answered = tonumber(prev)
    end
  end
  redis.call('SET', P .. 'onair', qid)
elseif cur == 'on_air' then
  redis.call('DEL', P .. 'onair')
end
if target == 'rejected' and reason ~= '' then
  redis.call('HSET', qkey, 'reason', reason)
  detail.reason = reason
end
if target ~= 'rejected' then redis.call('HDEL', qkey, 'reason') end
local pos = move(qkey, qid, cur, target)
audit(user, 'q.status', 'q:' .. qid, cjson.encode(detail))
return idem_put(KEYS[3], cjson.encode({ok = true, qid = tonumber(qid), status = target, prev = cur, pos = pos}), ttl)
