-- 签收: the department takes the item on. Header: _followup.lua.
local q, fu, state = fu_begin()
if not q then return fu end
return fu_commit(q, state, {accepted_at = 'NOW'}, {'reason'}, {})
