-- 退回: the department says the item is not theirs (a reason the office reads);
-- it goes back to the office to be forwarded again, without department or due date.
-- Header: _followup.lua. ARGV: 12 reason
local q, fu, state = fu_begin()
if not q then return fu end
local del = {'dept', 'due', 'accepted_at', 'ext_state', 'ext_due', 'ext_reason'}
return fu_commit(q, state, {reason = ARGV[12], last_dept = fu.dept, sent_back_at = 'NOW'}, del, {reason = ARGV[12]})
