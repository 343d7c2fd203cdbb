-- The office's review sends a reply back to the department (reason), which
-- replies again. Header: _followup.lua. ARGV: 12 reason
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
return fu_commit(q, state, {reason = ARGV[12]}, {}, {reason = ARGV[12]})
