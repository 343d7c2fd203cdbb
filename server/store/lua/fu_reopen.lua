-- 重办: after a "dissatisfied" rating the office reopens the item once: back to
-- the same department with a new due date; the first reply and rating are kept
-- as first_reply / first_rating, and the asker may rate the next reply.
-- Header: _followup.lua. ARGV: 12 new due date, 13 reason for the department
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
if fu.rating ~= 'dissatisfied' or fu.reopened == '1' or not fu.dept then
  return fu_refuse('conflict', 'question ' .. FU.qid ..
    ' can be reopened only once, after a dissatisfied rating', {current = state})
end
local set = {reopened = '1', first_rating = fu.rating, first_reply = fu.reply or '',
  due = ARGV[12], assigned_at = 'NOW', reason = ARGV[13]}
local del = {'rating', 'rating_comment', 'rated_at', 'accepted_at', 'ext_state', 'ext_due',
  'ext_reason', 'draft', 'draft_link'}
return fu_commit(q, state, set, del, {due = ARGV[12], reason = ARGV[13]})
