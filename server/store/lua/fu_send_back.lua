-- 退回: the department says the item is not theirs (a reason the office reads);
-- it goes back to the office to be forwarded again, without department or due date.
-- Header: _followup.lua. ARGV: 12 reason
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
local del = {'dept', 'due', 'accepted_at', 'ext_state', 'ext_due', 'ext_reason'}
return fu_commit(q, state, {reason = ARGV[12], last_dept = fu.dept, sent_back_at = 'NOW'}, del, {reason = ARGV[12]})
