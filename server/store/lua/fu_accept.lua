-- 签收: the department takes the item on. Header: _followup.lua.
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- ARGV: 2-11 as _followup.lua names them; no arguments of its own
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
return fu_commit(q, state, {accepted_at = 'NOW'}, {'reason'}, {})
