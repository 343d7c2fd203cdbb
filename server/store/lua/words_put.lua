-- Replaces a sensitive-word list, the deployment's or one broadcast's, and
-- records the change in the matching audit log, in one atomic step.
-- KEYS: 1 the broadcast's meta (for the global list: the list again; nothing
--       to check), 2 the list (hash word -> 'hold' | 'block', with '+pinyin'
--       when the word's pinyin matches too: WordEntry.stored()), 3 its version
--       counter (hub processes poll it to reload), 4 the audit log (P .. 'audit')
-- ARGV: 1 key prefix ('xs:{<bid>}:' or 'xs:{dep}:' for the global list, so audit()
--       writes xs:{<bid>}:audit or xs:{dep}:audit), 2 'broadcast' | 'global',
--       3 moderator's user name, 4.. word, action pairs (validated, distinct)
-- An unchanged list changes nothing (no version bump, no audit entry), so a
-- resend of the same PUT (a redis-py retry included) is harmless.
-- include: _prelude.lua
local mode, user = ARGV[2], ARGV[3]
if mode == 'broadcast' and not broadcast_state() then
  return err('not_found', 'no such broadcast')
end
local old = {}
local h = redis.call('HGETALL', KEYS[2])
for i = 1, #h, 2 do old[h[i]] = h[i + 1] end
local new, count, added, changed, removed, pinyin = {}, 0, 0, 0, 0, 0
for i = 4, #ARGV, 2 do
  local word, action = ARGV[i], ARGV[i + 1]
  new[word] = action
  count = count + 1
  if string.find(action, '+pinyin', 1, true) then pinyin = pinyin + 1 end
  if old[word] == nil then added = added + 1 elseif old[word] ~= action then changed = changed + 1 end
end
for word in pairs(old) do
  if new[word] == nil then removed = removed + 1 end
end
if added + changed + removed == 0 then
  return cjson.encode({ok = true, count = count, changed = false})
end
redis.call('DEL', KEYS[2])
if count > 0 then call_chunked('HSET', KEYS[2], 4) end
local version = redis.call('INCR', KEYS[3])
audit(user, 'words.put', 'words', cjson.encode({count = count, added = added,
  changed = changed, removed = removed, pinyin = pinyin}))
return cjson.encode({ok = true, count = count, changed = true, version = version})
