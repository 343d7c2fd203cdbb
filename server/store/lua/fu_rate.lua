-- 评价: the asker rates the published reply, once per published reply.
-- Header: _followup.lua (ARGV 8 = the target when the item was never reopened).
-- ARGV: 12 rating, 13 comment, 14 the target when it was reopened before
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
if fu.rating then
  return fu_refuse('conflict', 'the reply to question ' .. FU.qid .. ' is already rated',
    {current = state})
end
if fu.reopened == '1' then FU.target = ARGV[14] end
local set = {rating = ARGV[12], rated_at = 'NOW'}
if ARGV[13] ~= '' then set.rating_comment = ARGV[13] end
if FU.target == 'closed' then set.closed_at = 'NOW' end
return fu_commit(q, state, set, {'rating_auto'}, {rating = ARGV[12]})
