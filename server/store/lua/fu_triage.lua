-- The end-of-show triage of one question: answered live (optional note of the
-- answer given on air, kept in the question hash as answer_note), not adopted
-- (a reason the asker sees), merged (the question was merged with q.merge: its
-- follow-up is the one it joined), held for forwarding later, or a settled
-- triage reconsidered. Header: _followup.lua.
-- ARGV: 12 note or reason ('' = none)
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
local text = ARGV[12] or ''
local set, detail = {}, {}
if FU.action == 'answer_live' then
  -- In the question hash (answer_note, what exports read) and in the record
  -- (note, what the asker is shown).
  if text ~= '' then
    redis.call('HSET', FU.qkey, 'answer_note', text)
    set.note = text
  end
  detail.note = text
elseif FU.action == 'not_adopt' then
  set.reason = text
  detail.reason = text
elseif FU.action == 'merge' then
  if q.status ~= 'merged' or not q.merged_into then
    return fu_refuse('conflict', 'question ' .. FU.qid .. ' is not merged; merge it first',
      {current = state})
  end
  set.merged_into = q.merged_into
  detail.into = tonumber(q.merged_into)
end
local del = {}
if FU.action ~= 'not_adopt' then del = {'reason'} end
return fu_commit(q, state, set, del, detail)
