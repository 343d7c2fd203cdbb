-- The hub notes what a viewer did that no script saw: a socket closed for
-- abuse (too many refused commands or pings), so the flooder heads the
-- moderators' list of active viewers (note_activity() in the prelude).
-- KEYS: 1 meta, 2 events   ARGV: 1 key prefix, 2 vid, 3 weight
-- include: _prelude.lua
if not broadcast_state() then return err('not_found', 'no such broadcast') end
note_activity(ARGV[2], tonumber(ARGV[3]))
return cjson.encode({ok = true})
