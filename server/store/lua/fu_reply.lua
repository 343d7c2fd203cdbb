-- 答复: the department's reply (text, optional public link), kept as a draft
-- until the office reviews and publishes it. Header: _followup.lua.
-- ARGV: 12 text, 13 link ('' = none)
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
local set = {draft = ARGV[12], replied_at = 'NOW'}
local del = {'reason'}
if ARGV[13] ~= '' then set.draft_link = ARGV[13] else del[#del + 1] = 'draft_link' end
return fu_commit(q, state, set, del, {link = ARGV[13] ~= ''})
