-- Shared by the follow-up transition scripts (fu_*.lua), after _prelude.lua.
-- KEYS: 1 meta, 2 events, 3 idempotency key
-- ARGV: 2 user (audit: a moderator's or official's user name, '(asker)', '(system)'),
--       3 actor role (moderator | official | asker | system),
--       4 who: the official's department id, or the asker's viewer id ('' otherwise),
--       5 qid, 6 action, 7 allowed-from states (comma list from the domain's table),
--       8 target state, 9 expected current state ('' = any), 10 idem ttl,
--       11 stream maxlen; 12.. the action's own arguments.
-- Order of checks: replay, broadcast, question, actor (forbidden before anything
-- about the state is said), expect, table. Every refusal is remembered under
-- the command id, like set_status.lua, and changes nothing; but a forbidden
-- one writes nothing at all, not even that (an official of another department,
-- another viewer: Redis stays exactly as it was).
local FU = {
  user = ARGV[2], role = ARGV[3], who = ARGV[4], qid = ARGV[5], action = ARGV[6],
  allowed = ARGV[7], target = ARGV[8], expect = ARGV[9], ttl = tonumber(ARGV[10]),
  maxlen = tonumber(ARGV[11]),
}
FU.qkey = P .. 'q:' .. FU.qid
FU.fkey = P .. 'fu:' .. FU.qid

local function hash_of(key)
  local h = redis.call('HGETALL', key)
  local f = {}
  for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
  return f
end

local function in_list(list, value)
  return string.find(',' .. list .. ',', ',' .. value .. ',', 1, true) ~= nil
end

local function fu_refuse(code, msg, extra)
  return idem_put(KEYS[3], err(code, msg, extra), FU.ttl)
end

-- Returns (q fields, fu fields, state) or (nil, refusal JSON).
local function fu_begin()
  local done = idem_get(KEYS[3])
  if done then return nil, done end
  if not broadcast_state() then return nil, err('not_found', 'no such broadcast') end
  local q = hash_of(FU.qkey)
  if not q.id then return nil, fu_refuse('not_found', 'question ' .. FU.qid .. ' does not exist') end
  local fu = hash_of(FU.fkey)
  local state = fu.state or 'none'
  if FU.role == 'official' and (FU.who == '' or fu.dept ~= FU.who or
      not (state == 'assigned' or state == 'accepted' or state == 'replied')) then
    return nil, err('forbidden', 'question ' .. FU.qid .. ' is not assigned to your department')
  end
  if FU.role == 'asker' and (FU.who == '' or q.asker ~= FU.who) then
    return nil, err('forbidden', 'only the asker may rate the reply to question ' .. FU.qid)
  end
  if FU.expect ~= '' and state ~= FU.expect then
    return nil, fu_refuse('conflict', 'question ' .. FU.qid .. ' is already ' .. state ..
      ' (changed by someone else)', {current = state})
  end
  if not in_list(FU.allowed, state) then
    return nil, fu_refuse('conflict', 'question ' .. FU.qid .. ' is ' .. state .. '; it cannot be ' ..
      FU.action, {current = state})
  end
  return q, fu, state
end

-- The record as events and reads carry it (projection picks per role).
local FU_FIELDS = {
  'state', 'dept', 'due', 'qtype', 'note', 'assigned_at', 'accepted_at', 'replied_at', 'published_at',
  'closed_at', 'reply', 'reply_link', 'reply_orig', 'draft', 'draft_link', 'reason', 'rating',
  'rating_comment', 'rating_auto', 'rated_at', 'reopened', 'first_rating', 'first_reply',
  'ext_state', 'ext_due', 'ext_reason', 'merged_into', 'last_dept', 'sent_back_at', 'updated',
}
local FU_NUMBERS = {assigned_at = 1, accepted_at = 1, replied_at = 1, published_at = 1,
  closed_at = 1, rated_at = 1, updated = 1, merged_into = 1, sent_back_at = 1}

local function fu_table(fkey)
  local f = hash_of(fkey)
  local t = {}
  for _, name in ipairs(FU_FIELDS) do
    local v = f[name]
    if v ~= nil and v ~= '' then
      if FU_NUMBERS[name] then t[name] = tonumber(v) else t[name] = v end
    end
  end
  return t
end

-- Writes the change (fields to set, field names to delete), moves the item in
-- the broadcast's follow-up index, appends the event and the audit entry and
-- remembers the result: one atomic step.
local function fu_commit(q, state, set, del, detail)
  local now = now_ms()
  set.state = FU.target ~= '' and FU.target or state
  set.updated = now
  local flat = {}
  for k, v in pairs(set) do
    if v == 'NOW' then v = now end
    flat[#flat + 1] = k
    flat[#flat + 1] = v
  end
  redis.call('HSET', FU.fkey, unpack(flat))
  if del and #del > 0 then redis.call('HDEL', FU.fkey, unpack(del)) end
  redis.call('ZADD', P .. 'fus', now, FU.qid)
  local fu = fu_table(FU.fkey)
  local pos = emit({type = 'followup', qid = tonumber(FU.qid), fu = fu, asker = q.asker,
    prev = state, action = FU.action}, FU.maxlen)
  detail = detail or {}
  detail.from = state
  detail.to = set.state
  if FU.role == 'official' then detail.dept = FU.who end
  audit(FU.user, 'fu.' .. FU.action, 'q:' .. FU.qid, cjson.encode(detail))
  return idem_put(KEYS[3], cjson.encode({ok = true, qid = tonumber(FU.qid), state = set.state,
    prev = state, pos = pos}), FU.ttl)
end
