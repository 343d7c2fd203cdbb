-- 延期: the department asks, before its due date, for a later one (once); the
-- office grants it (the due date moves) or refuses it. The follow-up state does
-- not change (ARGV 8 target = ''); the extension has a small table of its own.
-- Header: _followup.lua. ARGV: 12 extension action, 13 its allowed-from states,
-- 14 its target, 15 reason, 16 the due date asked for (request) or granted
-- (grant; '' = the one asked for), 17 today (YYYY-MM-DD, the deployment's zone)
-- KEYS: 1 meta, 2 events, 3 the command's idempotency key (see _followup.lua)
-- include: _prelude.lua
-- include: _followup.lua
local q, fu, state = fu_begin()
if not q then return fu end
local ext = fu.ext_state or 'none'
if not in_list(ARGV[13], ext) then
  return fu_refuse('conflict', "question " .. FU.qid .. "'s extension is " .. ext,
    {current = state, ext_state = ext})
end
local set = {ext_state = ARGV[14]}
local detail = {ext = ARGV[12]}
if ARGV[12] == 'request' then
  if fu.due and ARGV[17] > fu.due then
    return fu_refuse('conflict', 'the due date of question ' .. FU.qid ..
      ' has passed; an extension is asked before it', {current = state})
  end
  if fu.due and ARGV[16] <= fu.due then
    return fu_refuse('invalid', 'the new due date must be after ' .. fu.due)
  end
  set.ext_due = ARGV[16]
  set.ext_reason = ARGV[15]
  detail.due = ARGV[16]
  detail.reason = ARGV[15]
elseif ARGV[12] == 'grant' then
  local due = ARGV[16] ~= '' and ARGV[16] or fu.ext_due
  set.due = due
  detail.due = due
else
  detail.reason = ARGV[15]
  if ARGV[15] ~= '' then set.reason = ARGV[15] end
end
return fu_commit(q, state, set, {}, detail)
