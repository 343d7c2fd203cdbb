-- The office's review sends a reply back to the department (reason), which
-- replies again. Header: _followup.lua. ARGV: 12 reason
local q, fu, state = fu_begin()
if not q then return fu end
return fu_commit(q, state, {reason = ARGV[12]}, {}, {reason = ARGV[12]})
