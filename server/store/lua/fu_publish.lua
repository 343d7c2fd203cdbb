-- 公开: the office publishes the reviewed reply, optionally with its text
-- corrected (typos): the department's text is kept as reply_orig.
-- Header: _followup.lua. ARGV: 12 corrected text ('' = as the department wrote it)
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
local draft = fu.draft or ''
local text = ARGV[12] ~= '' and ARGV[12] or draft
local set = {reply = text, published_at = 'NOW'}
local del = {'reason'}
if text ~= draft then set.reply_orig = draft else del[#del + 1] = 'reply_orig' end
if fu.draft_link then set.reply_link = fu.draft_link else del[#del + 1] = 'reply_link' end
return fu_commit(q, state, set, del, {edited = text ~= draft})
