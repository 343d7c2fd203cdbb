-- 办结 by the office (after a dissatisfied rating it will not reopen, or at any
-- time after publishing), or by the hub when the rating window ended without a
-- rating: then the item counts as satisfied (rating_auto = 1).
-- Header: _followup.lua. ARGV: 12 '1' = the rating window ended
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
local set = {closed_at = 'NOW'}
if ARGV[12] == '1' then
  if fu.rating then
    return fu_refuse('conflict', 'question ' .. FU.qid .. ' was rated', {current = state})
  end
  set.rating = 'satisfied'
  set.rating_auto = '1'
end
return fu_commit(q, state, set, {}, {auto = ARGV[12] == '1'})
