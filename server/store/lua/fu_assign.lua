-- 转办: the office sends the item to a department with a due date (computed in
-- working days by the domain), or corrects the department or the due date
-- before the department accepted.
-- The department's existence is checked by the caller (another slot).
-- Header: _followup.lua. ARGV: 12 department id, 13 due date YYYY-MM-DD, 14 type ('' = none)
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
local dept, due, qtype = ARGV[12], ARGV[13], ARGV[14] or ''
if state == 'assigned' and fu.dept == dept and fu.due == due then
  return fu_refuse('conflict', 'question ' .. FU.qid .. ' is already assigned to ' .. dept .. ', due ' .. due,
    {current = state})
end
local set = {dept = dept, due = due, assigned_at = 'NOW'}
if qtype ~= '' then set.qtype = qtype end
local del = {'reason', 'ext_state', 'ext_due', 'ext_reason', 'accepted_at'}
return fu_commit(q, state, set, del, {dept = dept, due = due, prev_dept = fu.dept})
